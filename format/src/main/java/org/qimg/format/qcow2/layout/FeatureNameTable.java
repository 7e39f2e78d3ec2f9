package org.qimg.format.qcow2.layout;

import java.nio.charset.StandardCharsets;

/**
 * The feature name table extension ({@link HeaderLayout#EXT_FEATURE_NAME_TABLE}) as QEMU 7.2 writes it: one
 * 48-byte entry per feature (type: 0 incompatible, 1 compatible, 2 autoclear; bit number; name, NUL-padded),
 * in QEMU's order. QEMU writes it into v3 headers of images whose clusters are larger than 4 KiB.
 */
public final class FeatureNameTable {
    /** Bytes per entry. */
    public static final int ENTRY_BYTES = 48;
    /** Images with clusters of at most this many bytes get no table (it would crowd the backing file name). */
    public static final int MAX_CLUSTER_WITHOUT_TABLE = 4096;

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

    private FeatureNameTable() {
    }

    /** Whether QEMU writes the table into a header of this version and cluster size. */
    public static boolean written(int version, int clusterSize) {
        return version >= 3 && clusterSize > MAX_CLUSTER_WITHOUT_TABLE;
    }

    /** The extension's payload. */
    public static byte[] payload() {
        byte[] table = new byte[FEATURES.length * ENTRY_BYTES];
        for (int i = 0; i < FEATURES.length; i++) {
            table[i * ENTRY_BYTES] = (byte) (int) (Integer) FEATURES[i][0];
            table[i * ENTRY_BYTES + 1] = (byte) (int) (Integer) FEATURES[i][1];
            byte[] name = ((String) FEATURES[i][2]).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(name, 0, table, i * ENTRY_BYTES + 2, name.length);
        }
        return table;
    }
}
