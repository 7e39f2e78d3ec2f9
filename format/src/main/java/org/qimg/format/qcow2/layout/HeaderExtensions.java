package org.qimg.format.qcow2.layout;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.FileOpenException;
import org.qimg.format.io.Positional;

/**
 * The header extensions of a qcow2 image (the area between the header and the backing file name, or the
 * end of the first cluster). Unknown extension types are skipped, as the spec allows.
 */
public final class HeaderExtensions {

    /** One feature name table entry: type 0 incompatible, 1 compatible, 2 autoclear. */
    public record FeatureName(int type, int bit, String name) {
    }

    /** The bitmaps extension's fields (parsed, validated, otherwise unused by the reader). */
    public record Bitmaps(int count, long directorySize, long directoryOffset) {
    }

    private final String backingFormat;
    private final List<FeatureName> featureNames;
    private final String dataFile;
    private final Bitmaps bitmaps;
    private final long cryptoHeaderOffset;
    private final long cryptoHeaderLength;

    private HeaderExtensions(String backingFormat, List<FeatureName> featureNames, String dataFile, Bitmaps bitmaps,
                             long cryptoHeaderOffset, long cryptoHeaderLength) {
        this.backingFormat = backingFormat;
        this.featureNames = List.copyOf(featureNames);
        this.dataFile = dataFile;
        this.bitmaps = bitmaps;
        this.cryptoHeaderOffset = cryptoHeaderOffset;
        this.cryptoHeaderLength = cryptoHeaderLength;
    }

    /**
     * Parses the extensions in [start, end) of the file. The caller has checked that end lies within the
     * first cluster and the file; an extension whose data would cross {@code end} is an error.
     */
    static HeaderExtensions read(FileChannel ch, Path file, int start, long end, int clusterSize, long autoclear)
            throws IOException {
        String f = file.toString();
        Collector c = new Collector();
        if (end > start) {
            ByteBuffer area = ByteBuffer.allocate((int) (end - start));
            Positional.readFully(ch, area, start, file);
            area.flip();
            ExtensionWalk.walk(area, start, f, x -> c.take(x, area, f, autoclear, clusterSize));
        }
        return new HeaderExtensions(c.backingFormat, c.names, c.dataFile, c.bitmaps, c.cryptoOffset,
                c.cryptoLength);
    }

    /** What the walk found so far. */
    private static final class Collector {
        String backingFormat;
        String dataFile;
        Bitmaps bitmaps;
        long cryptoOffset = -1;
        long cryptoLength = -1;
        final List<FeatureName> names = new ArrayList<>();

        void take(ExtensionWalk.Extension x, ByteBuffer area, String f, long autoclear, int clusterSize)
                throws IOException {
            int pos = x.payload();
            int n = x.length();
            long at = x.at();
            switch (x.type()) {
                case EXT_BACKING_FORMAT -> {
                    if (n > 15) {
                        throw open(f, "ERROR: ext_backing_format: len=" + n + " too large (>=16)", at,
                                "backing format name must be at most 15 bytes, found " + n);
                    }
                    backingFormat = string(area, pos, n);
                }
                case EXT_FEATURE_NAME_TABLE -> {
                    for (int e = 0; e + 48 <= n; e += 48) {
                        int ft = area.get(pos + e) & 0xff;
                        int bit = area.get(pos + e + 1) & 0xff;
                        int nameLen = 0;
                        while (nameLen < 46 && area.get(pos + e + 2 + nameLen) != 0) {
                            nameLen++;
                        }
                        names.add(new FeatureName(ft, bit, string(area, pos + e + 2, nameLen)));
                    }
                }
                case EXT_EXTERNAL_DATA_FILE -> {
                    if (n == 0) {
                        throw new CorruptImageException(f, at, "external data file name is empty");
                    }
                    dataFile = string(area, pos, n);
                }
                case EXT_FULL_DISK_ENCRYPTION -> {
                    if (n != 16) {
                        throw new CorruptImageException(f, at, "full disk encryption extension must be 16 bytes, "
                                + "found " + n);
                    }
                    cryptoOffset = area.getLong(pos);
                    cryptoLength = area.getLong(pos + 8);
                }
                case EXT_BITMAPS -> {
                    bitmaps = HeaderExtensions.bitmaps(area, pos, n, at, f, autoclear, clusterSize);
                    // what the reader asks on top: a directory it can read
                    if (bitmaps != null && (bitmaps.directorySize() <= 0 || bitmaps.directoryOffset() <= 0)) {
                        throw new CorruptImageException(f, at + 8, "bitmaps extension: directory of "
                                + bitmaps.directorySize() + " bytes at offset " + bitmaps.directoryOffset()
                                + " is not a cluster-aligned table of at most " + MAX_BITMAP_DIRECTORY + " bytes");
                    }
                }
                default -> {
                    // unknown extension: safe to ignore
                }
            }
        }
    }

    /**
     * The bitmaps extension as qcow2_read_extensions takes it, with its checks in its order and words; null when
     * QEMU ignores it (the autoclear bit is clear).
     */
    public static Bitmaps bitmaps(ByteBuffer area, int pos, int n, long at, String f, long autoclear,
                                   int clusterSize) throws IOException {
        // QEMU checks the length even of an extension it then ignores
        if (n != BITMAPS_EXT_LENGTH) {
            throw open(f, "bitmaps_ext: Invalid extension length", at, "bitmaps extension must be "
                    + BITMAPS_EXT_LENGTH + " bytes, found " + n);
        }
        if ((autoclear & AUTOCLEAR_BITMAPS) == 0) {
            return null; // inconsistent bitmaps: QEMU ignores the extension, so do we
        }
        long count = Integer.toUnsignedLong(area.getInt(pos));
        long dirSize = area.getLong(pos + 8);
        long dirOffset = area.getLong(pos + 16);
        // QEMU's checks in its order and words
        if (area.getInt(pos + 4) != 0) {
            throw open(f, "bitmaps_ext: Reserved field is not zero", at + 12,
                    "bitmaps extension: reserved field is not zero");
        }
        if (count > MAX_BITMAPS) {
            throw open(f, "bitmaps_ext: Image has " + count + " bitmaps, exceeding the QEMU supported maximum of "
                    + MAX_BITMAPS, at + 8, "bitmaps extension: count must be 1.." + MAX_BITMAPS + ", found " + count);
        }
        if (count == 0) {
            throw open(f, "found bitmaps extension with zero bitmaps", at + 8,
                    "bitmaps extension: count must be 1.." + MAX_BITMAPS + ", found 0");
        }
        if ((dirOffset & (clusterSize - 1)) != 0) {
            throw open(f, "bitmaps_ext: invalid bitmap directory offset", at + 24, "bitmaps extension: "
                    + "directory offset " + Long.toUnsignedString(dirOffset) + " is not cluster aligned");
        }
        if (Long.compareUnsigned(dirSize, MAX_BITMAP_DIRECTORY) > 0) {
            throw open(f, "bitmaps_ext: bitmap directory size (" + Long.toUnsignedString(dirSize)
                    + ") exceeds the maximum supported size (" + MAX_BITMAP_DIRECTORY + ")", at + 16,
                    "bitmaps extension: directory of " + Long.toUnsignedString(dirSize) + " bytes");
        }
        return new Bitmaps((int) count, dirSize, dirOffset);
    }

    /** A refusal in qcow2_read_extensions' words; qimg's detail is the cause. */
    private static FileOpenException open(String f, String reason, long at, String detail) {
        return new FileOpenException(f, reason, new CorruptImageException(f, at, detail));
    }

    private static String string(ByteBuffer b, int off, int len) {
        byte[] s = new byte[len];
        b.get(off, s);
        return new String(s, StandardCharsets.UTF_8);
    }

    /** The backing format name from extension 0xe2792aca, or null. */
    public String backingFormat() {
        return backingFormat;
    }

    public List<FeatureName> featureNames() {
        return featureNames;
    }

    /** The name of a feature bit from the feature name table, or null when the table has none. */
    public String featureName(int type, int bit) {
        for (FeatureName n : featureNames) {
            if (n.type() == type && n.bit() == bit) {
                return n.name();
            }
        }
        return null;
    }

    /** The external data file name from extension 0x44415441, or null. */
    public String dataFile() {
        return dataFile;
    }

    /** The bitmaps extension when present and consistent (autoclear bit 0 set), else null. */
    public Bitmaps bitmaps() {
        return bitmaps;
    }

    /** Offset of the full disk encryption header, or -1 without that extension. */
    public long cryptoHeaderOffset() {
        return cryptoHeaderOffset;
    }

    public long cryptoHeaderLength() {
        return cryptoHeaderLength;
    }
}
