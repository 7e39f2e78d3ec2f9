package org.qimg.format.qcow2.layout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How QEMU 7.2 lays out what follows the fixed header in cluster 0 when it writes a header
 * ({@code qcow2_update_header}): each extension as an 8-byte head (type, length) and its payload padded to a
 * multiple of 8, then the end marker, then the backing file name; and the feature name table it writes for v3
 * images with clusters larger than 4 KiB. The reading side of the framing is {@link ExtensionWalk}.
 */
public final class HeaderCluster {
    /** Bytes of one feature name table entry: type, bit number, 46-byte name. */
    public static final int FEATURE_ENTRY_BYTES = 48;
    /** QEMU writes the feature name table only for v3 images whose clusters are larger than this. */
    public static final int FEATURE_TABLE_MIN_CLUSTER = 4096;

    /** QEMU 7.2's feature name table: type (0 incompatible, 1 compatible, 2 autoclear), bit, name. */
    private static final Object[][] FEATURES = {
        {0, 0, "dirty bit"},
        {0, 1, "corrupt bit"},
        {0, 2, "external data file"},
        {0, 3, "compression type"},
        {0, 4, "extended L2 entries"},
        {1, 0, "lazy refcounts"},
        {2, 0, "bitmaps"},
        {2, 1, "raw external data"},
    };

    private HeaderCluster() {
    }

    /** True when QEMU writes the feature name table into the header of such an image. */
    public static boolean hasFeatureTable(int version, int clusterSize) {
        return version >= 3 && clusterSize > FEATURE_TABLE_MIN_CLUSTER;
    }

    /** The payload of QEMU 7.2's feature name table extension. */
    public static byte[] featureNameTable() {
        byte[] table = new byte[FEATURES.length * FEATURE_ENTRY_BYTES];
        for (int i = 0; i < FEATURES.length; i++) {
            table[i * FEATURE_ENTRY_BYTES] = (byte) (int) (Integer) FEATURES[i][0];
            table[i * FEATURE_ENTRY_BYTES + 1] = (byte) (int) (Integer) FEATURES[i][1];
            byte[] name = ((String) FEATURES[i][2]).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(name, 0, table, i * FEATURE_ENTRY_BYTES + 2, name.length);
        }
        return table;
    }

    /** Bytes an extension with {@code payloadLength} bytes of payload takes: head and padded payload. */
    public static int extensionBytes(int payloadLength) {
        return 8 + ((payloadLength + 7) & ~7);
    }

    /**
     * Puts the extension {@code type} with {@code payload} at {@code pos} of {@code b} (absolute writes; the
     * padding is left as found, zero in a fresh buffer).
     *
     * @return the position after it, or -1 when it does not fit before {@code b}'s capacity
     */
    public static int putExtension(ByteBuffer b, int pos, int type, byte[] payload) {
        int bytes = extensionBytes(payload.length);
        if (bytes > b.capacity() - pos) {
            return -1;
        }
        b.putInt(pos, type);
        b.putInt(pos + 4, payload.length);
        b.put(pos + 8, payload);
        return pos + bytes;
    }
}
