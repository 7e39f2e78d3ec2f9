package org.qimg.format.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;

/**
 * The header extensions of a qcow2 image (the area between the header and the backing file name, or the
 * end of the first cluster). Unknown extension types are skipped, as the spec allows.
 */
public final class HeaderExtensions {
    public static final int END = 0;
    public static final int BACKING_FORMAT = 0xe2792aca;
    public static final int FEATURE_NAME_TABLE = 0x6803f857;
    public static final int BITMAPS = 0x23852875;
    public static final int FULL_DISK_ENCRYPTION = 0x0537be77;
    public static final int EXTERNAL_DATA_FILE = 0x44415441;

    /** One feature name table entry: type 0 incompatible, 1 compatible, 2 autoclear. */
    public record FeatureName(int type, int bit, String name) {
    }

    /** The bitmaps extension's fields (parsed, validated, otherwise unused by the reader). */
    public record Bitmaps(int count, long directorySize, long directoryOffset) {
    }

    private static final int MAX_BITMAPS = 65535;
    private static final long MAX_BITMAP_DIRECTORY = 64L << 20;

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
        String backingFormat = null;
        String dataFile = null;
        Bitmaps bitmaps = null;
        long cryptoOffset = -1;
        long cryptoLength = -1;
        List<FeatureName> names = new ArrayList<>();
        if (end <= start) {
            return new HeaderExtensions(null, names, null, null, -1, -1);
        }
        ByteBuffer area = ByteBuffer.allocate((int) (end - start));
        Positional.readFully(ch, area, start, file);
        area.flip();
        int pos = 0;
        while (pos < area.limit()) {
            long at = start + pos;
            if (area.limit() - pos < 8) {
                throw new CorruptImageException(f, at, "header extension header needs 8 bytes, only "
                        + (area.limit() - pos) + " remain before offset " + end);
            }
            int type = area.getInt(pos);
            long len = Integer.toUnsignedLong(area.getInt(pos + 4));
            pos += 8;
            // the length is checked first, even that of the end marker, as QEMU does
            if (len > area.limit() - pos) {
                throw new CorruptImageException(f, at, String.format("header extension 0x%08x has length %d, "
                        + "but only %d bytes remain before offset %d", type, len, area.limit() - pos, end));
            }
            if (type == END) {
                break;
            }
            int n = (int) len;
            switch (type) {
                case BACKING_FORMAT -> {
                    if (n > 15) {
                        throw new CorruptImageException(f, at, "backing format name must be at most 15 bytes, "
                                + "found " + n);
                    }
                    backingFormat = string(area, pos, n);
                }
                case FEATURE_NAME_TABLE -> {
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
                case EXTERNAL_DATA_FILE -> {
                    if (n == 0) {
                        throw new CorruptImageException(f, at, "external data file name is empty");
                    }
                    dataFile = string(area, pos, n);
                }
                case FULL_DISK_ENCRYPTION -> {
                    if (n != 16) {
                        throw new CorruptImageException(f, at, "full disk encryption extension must be 16 bytes, "
                                + "found " + n);
                    }
                    cryptoOffset = area.getLong(pos);
                    cryptoLength = area.getLong(pos + 8);
                }
                case BITMAPS -> {
                    // QEMU checks the length even of an extension it then ignores
                    if (n != 24) {
                        throw new CorruptImageException(f, at, "bitmaps extension must be 24 bytes, found " + n);
                    }
                    if ((autoclear & Qcow2Header.AUTOCLEAR_BITMAPS) == 0) {
                        break; // inconsistent bitmaps: QEMU ignores the extension, so do we
                    }
                    long count = Integer.toUnsignedLong(area.getInt(pos));
                    long dirSize = area.getLong(pos + 8);
                    long dirOffset = area.getLong(pos + 16);
                    if (count == 0 || count > MAX_BITMAPS || area.getInt(pos + 4) != 0) {
                        throw new CorruptImageException(f, at + 8, "bitmaps extension: count must be 1.."
                                + MAX_BITMAPS + " with zero reserved field, found " + count);
                    }
                    if (dirSize <= 0 || dirSize > MAX_BITMAP_DIRECTORY || dirOffset <= 0
                            || (dirOffset & (clusterSize - 1)) != 0) {
                        throw new CorruptImageException(f, at + 8, "bitmaps extension: directory of " + dirSize
                                + " bytes at offset " + dirOffset + " is not a cluster-aligned table of at most "
                                + MAX_BITMAP_DIRECTORY + " bytes");
                    }
                    bitmaps = new Bitmaps((int) count, dirSize, dirOffset);
                }
                default -> {
                    // unknown extension: safe to ignore
                }
            }
            pos += (n + 7) & ~7;
        }
        return new HeaderExtensions(backingFormat, names, dataFile, bitmaps, cryptoOffset, cryptoLength);
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
