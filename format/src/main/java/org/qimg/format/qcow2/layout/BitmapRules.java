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
    /** Bit 0 of a bitmap table entry without an offset: the whole cluster of bits reads as ones. */
    public static final long TABLE_ALL_ONES = 1;
    public static final long MAX_TABLE_ENTRIES = 0x8000000L;
    /** QEMU's BME_MAX_PHYS_SIZE: at most 512 MiB of bitmap data per bitmap. */
    public static final long MAX_PHYS_BYTES = 0x20000000L;
    private static final long KNOWN_FLAGS = 3; // in_use, auto
    /** Longest name in bytes (QEMU's BME_MAX_NAME_SIZE). */
    public static final int MAX_NAME = 1023;
    public static final int MIN_GRANULARITY_BITS = 9;
    public static final int MAX_GRANULARITY_BITS = 31;

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

    /** Bytes of serialized bits a bitmap of {@code granularityBits} over {@code size} bytes needs. */
    public static long bytesNeeded(long size, int granularityBits) {
        long bits = -Math.floorDiv(-size, 1L << granularityBits);
        return -Math.floorDiv(-bits, 8);
    }

    /** Bits a bitmap of {@code granularityBits} over {@code size} bytes has. */
    public static long bitsNeeded(long size, int granularityBits) {
        return -Math.floorDiv(-size, 1L << granularityBits);
    }

    /**
     * check_constraints_on_bitmap: a new bitmap's data must fit QEMU's 512 MiB and table limits (the
     * granularity and name are checked by the caller).
     */
    public static boolean fitsLimits(long size, int granularityBits, int clusterSize) {
        long bytes = bytesNeeded(size, granularityBits);
        return bytes <= MAX_PHYS_BYTES && bytes <= MAX_TABLE_ENTRIES * clusterSize;
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
