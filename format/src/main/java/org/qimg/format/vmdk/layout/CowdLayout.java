package org.qimg.format.vmdk.layout;

/**
 * The header of a "COWD" sparse extent (VMDK version 3: ESX's vmfsSparse extents, and the hosted sparse
 * extents of old VMware products; QEMU's {@code VMDK3Header}). All fields are little-endian unsigned 32-bit
 * numbers following the four magic bytes; sizes and offsets count {@link SparseLayout#SECTOR}s. The grain
 * directory ({@code l1dir}) holds {@code l1dirSize} 32-bit sector numbers of grain tables, each with
 * {@link #GTES_PER_GT} 32-bit sector numbers of grains.
 */
public final class CowdLayout {
    private CowdLayout() {
    }

    /** The bytes "COWD" at offset 0, read as a big-endian 32-bit number (as QEMU compares them). */
    public static final int MAGIC_BE = ('C' << 24) | ('O' << 16) | ('W' << 8) | 'D';

    public static final int OFF_VERSION = 4;
    public static final int OFF_FLAGS = 8;
    /** The extent's size in sectors. */
    public static final int OFF_DISK_SECTORS = 12;
    /** Sectors per grain. */
    public static final int OFF_GRANULARITY = 16;
    /** Sector of the grain directory. */
    public static final int OFF_L1DIR_OFFSET = 20;
    /** Entries in the grain directory. */
    public static final int OFF_L1DIR_SIZE = 24;
    public static final int OFF_FILE_SECTORS = 28;
    /** Bytes of the header QEMU reads (magic included). */
    public static final int HEADER_BYTES = 44;

    /** Grain table entries per grain table: fixed for COWD extents. */
    public static final int GTES_PER_GT = 4096;
}
