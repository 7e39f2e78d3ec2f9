package org.qimg.format.vmdk.layout;

/**
 * Where things are in a hosted sparse extent ("Virtual Disk Format 5.0", "Hosted Sparse Extent Header";
 * QEMU's {@code VMDK4Header}): the 512-byte little-endian header, its flags, and the units every offset is
 * counted in. Offsets and sizes in the header are in sectors; grain table entries and grain directory
 * entries are 32-bit sector numbers.
 */
public final class SparseLayout {
    private SparseLayout() {
    }

    /** Every offset in a sparse extent counts these. */
    public static final int SECTOR = 512;
    /** "KDMV" read as a little-endian 32-bit number. */
    public static final int MAGIC = 0x564d444b;
    /** The header occupies sector 0 (and the footer of a streamOptimized extent repeats it). */
    public static final int HEADER_BYTES = SECTOR;

    public static final int OFF_MAGIC = 0;
    public static final int OFF_VERSION = 4;
    public static final int OFF_FLAGS = 8;
    public static final int OFF_CAPACITY = 12;
    public static final int OFF_GRAIN_SIZE = 20;
    public static final int OFF_DESCRIPTOR_OFFSET = 28;
    public static final int OFF_DESCRIPTOR_SIZE = 36;
    public static final int OFF_NUM_GTES_PER_GT = 44;
    public static final int OFF_RGD_OFFSET = 48;
    public static final int OFF_GD_OFFSET = 56;
    public static final int OFF_OVERHEAD = 64;
    public static final int OFF_UNCLEAN_SHUTDOWN = 72;
    /** The four line-end detection bytes: '\n', ' ', '\r', '\n'. */
    public static final int OFF_NEWLINE_TEST = 73;
    public static final byte[] NEWLINE_TEST = {'\n', ' ', '\r', '\n'};
    public static final int OFF_COMPRESS_ALGORITHM = 77;

    /** Flag bit 0: the newline test bytes are valid. */
    public static final int FLAG_VALID_NEWLINE_TEST = 1;
    /** Flag bit 1: the redundant grain directory ({@code rgdOffset}) is in use. */
    public static final int FLAG_REDUNDANT_GT = 1 << 1;
    /** Flag bit 2: grain table entry 1 means "reads as zeros" (a zeroed grain). */
    public static final int FLAG_ZEROED_GRAIN_GTE = 1 << 2;
    /** Flag bit 16: grains are compressed (streamOptimized). */
    public static final int FLAG_COMPRESSED = 1 << 16;
    /** Flag bit 17: the extent holds markers (streamOptimized). */
    public static final int FLAG_MARKERS = 1 << 17;

    public static final int COMPRESSION_NONE = 0;
    /** RFC 1950 zlib streams (deflate with the zlib header and Adler-32), one per grain. */
    public static final int COMPRESSION_DEFLATE = 1;

    /** {@code gdOffset} value meaning "the grain directory's offset is in the footer". */
    public static final long GD_AT_END = -1L;

    /** Bytes of one grain directory or grain table entry. */
    public static final int ENTRY_BYTES = 4;
    /** Grain table entry: the grain is not allocated (reads through the parent, or zeros). */
    public static final long GTE_UNALLOCATED = 0;
    /** Grain table entry with {@link #FLAG_ZEROED_GRAIN_GTE}: the grain reads as zeros. */
    public static final long GTE_ZEROED = 1;

    /** The value VMware and QEMU write for {@code numGTEsPerGT}; QEMU refuses others. */
    public static final int GTES_PER_GT = 512;
    /** The grain size QEMU creates (sectors: 64 KiB). */
    public static final int DEFAULT_GRAIN_SECTORS = 128;
}
