package org.qimg.converters.measure;

import static org.qimg.format.qcow2.write.Qcow2CreateOptions.DEFAULT_CLUSTER_SIZE;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.WriterMath;

/**
 * {@code qemu-img measure}: the size a new image of format raw or qcow2 needs, from a virtual size or
 * from a source image (counting the clusters that hold data, through the source's backing chain), with
 * QEMU 7.2's formulas (qcow2_measure / raw_measure).
 */
public final class ImageMeasure {
    private ImageMeasure() {
    }

    /**
     * @param outFormat     raw or qcow2
     * @param optionString  the {@code -o} string (may be empty)
     * @param size          the virtual size when measuring without a source, else null
     * @param source        the source image, or null with {@code size}
     */
    public static MeasureResult measure(String outFormat, String optionString, Long size, DiskImage source)
            throws IOException {
        if ((size == null) == (source == null)) {
            throw new ImageException("Either --size N or one filename must be specified.");
        }
        return switch (outFormat) {
            case "raw" -> measureRaw(optionString, size, source);
            case "qcow2" -> measureQcow2(optionString, size, source);
            default -> throw new UnsupportedFeatureException("Block driver '" + outFormat
                    + "' does not support size measurement");
        };
    }

    /** Option names qemu-img 7.2 accepts for a raw target (raw's and the file protocol's create options). */
    private static final Set<String> RAW_KEYS = Set.of("size", "preallocation", "nocow", "extent_size_hint");
    /** The same for qcow2 (qimg's compression_level too); the ones measure does not use are parsed only. */
    private static final Set<String> QCOW2_KEYS = Set.of("size", "compat", "backing_file", "backing_fmt",
            "encryption", "cluster_size", "preallocation", "lazy_refcounts", "refcount_bits", "compression_type",
            "extended_l2", "data_file", "data_file_raw", "nocow", "extent_size_hint", "compression_level");

    /** qemu-img measure's parse of {@code -o}: an unknown key also names the format in a second line. */
    private static Map<String, String> parse(String optionString, String format, Set<String> keys)
            throws ImageException {
        Map<String, String> opts = QemuOptionSyntax.splitOptions(optionString == null ? "" : optionString);
        for (String k : opts.keySet()) {
            if (!keys.contains(k) && !k.startsWith("encrypt.")) {
                throw new ImageException("Invalid parameter '" + k + "'\nInvalid options for file format '" + format
                        + "'");
            }
        }
        return opts;
    }

    private static MeasureResult measureRaw(String optionString, Long size, DiskImage source) throws ImageException {
        Map<String, String> opts = parse(optionString, "raw", RAW_KEYS);
        long bytes = source != null ? source.virtualSize() : size != null ? size
                : opts.containsKey("size") ? sizeOption(opts.get("size")) : 0;
        long required = (bytes + 511) / 512 * 512;
        return new MeasureResult(required, required, null);
    }

    private static long sizeOption(String v) throws ImageException {
        long s = QemuOptionSyntax.parseSize(v);
        if (s < 0) {
            throw new ImageException("Parameter 'size' expects a non-negative number below 2^64\nInvalid options for"
                    + " file format 'qcow2'");
        }
        return s;
    }

    /**
     * qcow2_measure's checks, in its order: it checks fewer combinations than create (e.g. zstd or lazy
     * refcounts with compat=0.10 are measured) and spells compat and refcount errors its own way.
     */
    private static MeasureResult measureQcow2(String optionString, Long size, DiskImage source) throws IOException {
        Map<String, String> raw = parse(optionString, "qcow2", QCOW2_KEYS);
        boolean extendedL2 = bool(raw, "extended_l2");
        bool(raw, "lazy_refcounts");
        long cs = DEFAULT_CLUSTER_SIZE;
        if (raw.containsKey("cluster_size")) {
            cs = QemuOptionSyntax.parseSize(raw.get("cluster_size"));
            if (cs < 0) {
                throw new ImageException("Parameter 'cluster_size' expects a non-negative number below 2^64"
                        + "\nInvalid options for file format 'qcow2'");
            }
        }
        if (cs < 512 || cs > (2 << 20) || Long.bitCount(cs) != 1) {
            throw new ImageException("Cluster size must be a power of two between 512 and 2048k");
        }
        if (extendedL2 && cs < 16384) {
            throw new ImageException("Extended L2 entries are only supported with cluster sizes of at least 16384"
                    + " bytes");
        }
        String compat = raw.getOrDefault("compat", "1.1");
        int version = switch (compat) {
            case "0.10" -> 2;
            case "1.1" -> 3;
            default -> throw new ImageException("Invalid compatibility level: '" + compat + "'");
        };
        long refcountBits = 16;
        if (raw.containsKey("refcount_bits")) {
            // parsed as QemuOpts parses a number; any syntax error is reported as qemu-img does
            try {
                refcountBits = Qcow2CreateOptions.builder(0).set("refcount_bits", raw.get("refcount_bits"))
                        .refcountBits();
            } catch (ImageException e) {
                throw new ImageException(e.getMessage() + "\nInvalid options for file format 'qcow2'");
            }
        }
        if (refcountBits < 1 || refcountBits > 64 || Long.bitCount(refcountBits) != 1) {
            throw new ImageException("Refcount width must be a power of two and may not exceed 64 bits");
        }
        if (version < 3 && refcountBits != 16) {
            throw new ImageException("Different refcount widths than 16 bits require compatibility level 1.1 or"
                    + " above (use compat=1.1 or greater)");
        }
        String prealloc = raw.getOrDefault("preallocation", "off");
        if (!prealloc.matches("off|metadata|falloc|full")) {
            throw new ImageException("invalid parameter value: " + prealloc);
        }
        boolean fullPrealloc = prealloc.equals("falloc") || prealloc.equals("full");
        boolean hasBacking = raw.containsKey("backing_file");
        long given = size != null ? size : raw.containsKey("size") ? sizeOption(raw.get("size")) : 0;
        int refcountOrder = Long.numberOfTrailingZeros(refcountBits);
        long virtualSize = roundUp(given, cs);
        long l2Tables = ceilDiv(virtualSize / cs, cs / Entries.l2EntryBytes(extendedL2));
        if (l2Tables * Entries.ENTRY_BYTES > HeaderLayout.MAX_L1_BYTES) {
            throw new ImageException("The image size is too large (try using a larger cluster size)");
        }
        long required = 0;
        if (source != null) {
            long ssize = source.virtualSize();
            virtualSize = roundUp(ssize, cs);
            required = hasBacking ? virtualSize : allocatedClusterBytes(source, cs);
        }
        if (fullPrealloc) {
            required = virtualSize;
        }
        long fully = WriterMath.preallocSize(virtualSize, (int) cs, refcountOrder, extendedL2);
        // bitmaps are shown when both the target and the source (a v3 qcow2) could hold them
        Long bitmaps = version >= 3 && source != null && source.formatName().equals("qcow2")
                && !"0.10".equals(source.info().formatSpecific().get("compat"))
                ? bitmapsSize(source, cs) : null;
        return new MeasureResult(fully - virtualSize + required, fully, bitmaps);
    }

    /**
     * qcow2_get_persistent_dirty_bitmap_size: for each persistent bitmap of the source, all its data
     * clusters (one bit per granule of the virtual size) and its bitmap table, each rounded up to target
     * clusters, plus the directory entries (24 bytes and the name, rounded up to 8) rounded up to a cluster.
     */
    static long bitmapsSize(DiskImage source, long cs) throws IOException {
        Object list = source.info().formatSpecific().get("bitmaps");
        if (!(list instanceof java.util.List<?> bitmaps)) {
            return 0;
        }
        long total = 0;
        long dir = 0;
        for (Object o : bitmaps) {
            Map<?, ?> b = (Map<?, ?>) o;
            long granularity = ((Number) b.get("granularity")).longValue();
            String name = (String) b.get("name");
            long bits = ceilDiv(source.virtualSize(), granularity);
            long clusters = ceilDiv(ceilDiv(bits, 8), cs);
            total += clusters * cs + roundUp(clusters * 8, cs);
            dir += (24 + name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 7) & ~7L;
        }
        return total + roundUp(dir, cs);
    }

    private static boolean bool(Map<String, String> opts, String key) throws ImageException {
        String v = opts.getOrDefault(key, "off");
        return switch (v) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new ImageException("Parameter '" + key + "' expects 'on' or 'off'\nInvalid options for"
                    + " file format 'qcow2'");
        };
    }

    /**
     * Bytes of whole clusters touched by data anywhere in the chain (qemu counts a data run from the start
     * of its first cluster to the end of its last; zero and unallocated-to-the-bottom ranges are free).
     */
    static long allocatedClusterBytes(DiskImage image, long cs) throws IOException {
        long ssize = image.virtualSize();
        long required = 0;
        long offset = 0;
        while (offset < ssize) {
            long[] run = dataRun(image, offset, ssize - offset);
            long pnum = run[1];
            if (run[0] == 1) {
                pnum = roundUp(offset + pnum, cs) - offset;
                required += offset % cs + pnum;
            }
            offset += pnum;
        }
        return required;
    }

    /** {1 if data else 0, length} for the run at offset, resolving unallocated ranges through backing files. */
    private static long[] dataRun(DiskImage image, long offset, long max) throws IOException {
        Extent e = image.extentAt(offset, max);
        switch (e.status()) {
            case DATA -> {
                // data over a host hole (metadata-preallocated source) is zero to QEMU, which skips it
                return new long[] {e.hostZero() ? 0 : 1, e.length()};
            }
            case ZERO -> {
                return new long[] {0, e.length()};
            }
            default -> {
                if (image.backing().isPresent()) {
                    DiskImage back = image.backing().get();
                    if (offset >= back.virtualSize()) {
                        return new long[] {0, e.length()};
                    }
                    long[] r = dataRun(back, offset, Math.min(e.length(), back.virtualSize() - offset));
                    return r;
                }
                return new long[] {0, e.length()};
            }
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static long roundUp(long a, long b) {
        return ceilDiv(a, b) * b;
    }
}
