package org.qimg.format.qcow2.layout;

/**
 * The rules a persistent bitmap must meet for QEMU 7.2 to open its image (qcow2-bitmap.c
 * {@code check_dir_entry}, {@code load_bitmap_data}, {@code check_table_entry}): one place for both the
 * reader ({@code BitmapDirectory}) and {@code check} ({@code CheckBitmaps}), which refuse the same images
 * in their own words. Sizes are unsigned; {@code virtualSize} is in whole 512-byte sectors.
 */
public final class BitmapRules {
    /** Bits of a bitmap table entry that hold the data cluster's offset. */
    public static final long TABLE_OFFSET_MASK = 0x00fffffffffffe00L;
    private static final long TABLE_RESERVED_MASK = 0xff000000000001feL;
    private static final long TABLE_ALL_ONES = 1;
    private static final long MAX_TABLE_ENTRIES = 0x8000000L;
    private static final long MAX_PHYS_BYTES = 0x20000000L;
    private static final long KNOWN_FLAGS = 3; // in_use, auto
    private static final int MAX_NAME = 1023;

    private BitmapRules() {
    }

    /** check_dir_entry's rules on the entry's own fields (the size of its table aside). */
    public static boolean fieldsValid(long tableOffset, long tableSize, long flags, int type, int granularityBits,
                                      int nameSize, int clusterSize) {
        return tableSize != 0 && tableOffset != 0 && Long.remainderUnsigned(tableOffset, clusterSize) == 0
                && tableSize <= MAX_TABLE_ENTRIES && granularityBits <= 31 && granularityBits >= 9
                && (flags & ~KNOWN_FLAGS) == 0 && nameSize <= MAX_NAME && type == 1;
    }

    /** The table's clusters hold more than QEMU's 512 MiB of bitmap data ({@code tableSize} ≤ 2^27 here). */
    public static boolean tableTooLarge(long tableSize, int clusterBits) {
        return tableSize << clusterBits > MAX_PHYS_BYTES;
    }

    /** The bits the table's clusters hold cover the disk (for a table that is not too large). */
    public static boolean covers(long virtualSize, long tableSize, int clusterBits, int granularityBits) {
        return Long.compareUnsigned(virtualSize, ((tableSize << clusterBits) << 3) << granularityBits) <= 0;
    }

    /** The entries the table of a bitmap not in use must have: one per cluster of the serialized bitmap. */
    public static long tableEntriesNeeded(long virtualSize, int granularityBits, int clusterSize) {
        long bits = -Math.floorDiv(-virtualSize, 1L << granularityBits);
        return -Math.floorDiv(-bits, 8L * clusterSize);
    }

    /** check_table_entry: no reserved bits; a data offset must be cluster aligned and not "all ones". */
    public static boolean tableEntryValid(long entry, int clusterSize) {
        if ((entry & TABLE_RESERVED_MASK) != 0) {
            return false;
        }
        long off = entry & TABLE_OFFSET_MASK;
        return off == 0 || (entry & TABLE_ALL_ONES) == 0 && (off & (clusterSize - 1)) == 0;
    }
}
