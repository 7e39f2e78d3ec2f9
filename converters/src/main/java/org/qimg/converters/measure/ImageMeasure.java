package org.qimg.converters.measure;

import java.io.IOException;
import java.util.Map;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.qcow2.Qcow2CreateOptions;
import org.qimg.format.qcow2.WriterMath;

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

    private static MeasureResult measureRaw(String optionString, Long size, DiskImage source) throws ImageException {
        Map<String, String> opts = Qcow2CreateOptions.splitOptions(optionString == null ? "" : optionString);
        for (String k : opts.keySet()) {
            if (!k.equals("size") && !k.equals("preallocation")) {
                throw new ImageException("Invalid parameter '" + k + "'");
            }
        }
        long bytes = source != null ? source.virtualSize() : size;
        long required = (bytes + 511) / 512 * 512;
        return new MeasureResult(required, required, null);
    }

    private static MeasureResult measureQcow2(String optionString, Long size, DiskImage source) throws IOException {
        Map<String, String> raw = Qcow2CreateOptions.splitOptions(optionString == null ? "" : optionString);
        String prealloc = raw.remove("preallocation");
        if (prealloc != null && !prealloc.matches("off|metadata|falloc|full")) {
            throw new ImageException("Parameter 'preallocation' does not accept value '" + prealloc + "'");
        }
        boolean fullPrealloc = "falloc".equals(prealloc) || "full".equals(prealloc);
        boolean hasBacking = raw.containsKey("backing_file");
        raw.remove("backing_file");
        raw.remove("backing_fmt");
        Qcow2CreateOptions.Builder b = Qcow2CreateOptions.builder(size == null ? 0 : size);
        for (Map.Entry<String, String> e : raw.entrySet()) {
            b.set(e.getKey(), e.getValue());
        }
        Qcow2CreateOptions o = b.build();
        long cs = o.clusterSize();
        long virtualSize = roundUp(size == null ? 0 : o.virtualSize(), cs);
        long l2Tables = ceilDiv(virtualSize / cs, cs / o.l2EntrySize());
        if (l2Tables * 8 > 32L << 20) {
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
        long fully = WriterMath.preallocSize(virtualSize, cs, o.refcountOrder(), o.extendedL2());
        Long bitmaps = o.version() >= 3 && source != null && source.formatName().equals("qcow2") ? 0L : null;
        return new MeasureResult(fully - virtualSize + required, fully, bitmaps);
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
