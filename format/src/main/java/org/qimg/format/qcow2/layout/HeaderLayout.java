package org.qimg.format.qcow2.layout;

/**
 * Where each field of the qcow2 header lives and what its bits mean (QEMU's {@code docs/interop/qcow2.txt},
 * "Header" and "Header extensions"), plus the limits QEMU enforces on what the header describes. The one
 * place these numbers are written down: the reader, the writer, the in-place updater and the check all take
 * them from here.
 */
public final class HeaderLayout {
    /** "QFI\xfb", big-endian at offset 0. */
    public static final int MAGIC = 0x514649fb;
    public static final int V2_HEADER_LENGTH = 72;
    public static final int V3_MIN_HEADER_LENGTH = 104;
    /** The v3 header as QEMU writes it: the compression type byte at 104, padded to a multiple of 8. */
    public static final int V3_HEADER_LENGTH = 112;

    // Byte offsets of the header fields (all big-endian).
    public static final int OFF_MAGIC = 0;
    public static final int OFF_VERSION = 4;
    public static final int OFF_BACKING_OFFSET = 8;
    public static final int OFF_BACKING_SIZE = 16;
    public static final int OFF_CLUSTER_BITS = 20;
    public static final int OFF_SIZE = 24;
    public static final int OFF_CRYPT = 32;
    public static final int OFF_L1_SIZE = 36;
    public static final int OFF_L1_OFFSET = 40;
    public static final int OFF_REFTABLE_OFFSET = 48;
    public static final int OFF_REFTABLE_CLUSTERS = 56;
    public static final int OFF_NB_SNAPSHOTS = 60;
    public static final int OFF_SNAPSHOTS_OFFSET = 64;
    // version 3 only
    public static final int OFF_INCOMPAT = 72;
    public static final int OFF_COMPAT = 80;
    public static final int OFF_AUTOCLEAR = 88;
    public static final int OFF_REFCOUNT_ORDER = 96;
    public static final int OFF_HEADER_LENGTH = 100;
    public static final int OFF_COMPRESSION_TYPE = 104;

    // Incompatible feature bits.
    public static final long INCOMPAT_DIRTY = 1L;
    public static final long INCOMPAT_CORRUPT = 1L << 1;
    public static final long INCOMPAT_DATA_FILE = 1L << 2;
    public static final long INCOMPAT_COMPRESSION = 1L << 3;
    public static final long INCOMPAT_EXTL2 = 1L << 4;
    public static final long INCOMPAT_KNOWN = 0x1fL;
    // Compatible feature bits.
    public static final long COMPAT_LAZY_REFCOUNTS = 1L;
    // Autoclear feature bits.
    public static final long AUTOCLEAR_BITMAPS = 1L;
    public static final long AUTOCLEAR_DATA_FILE_RAW = 1L << 1;
    public static final long AUTOCLEAR_KNOWN = AUTOCLEAR_BITMAPS | AUTOCLEAR_DATA_FILE_RAW;

    // Header extension types.
    public static final int EXT_END = 0;
    public static final int EXT_BACKING_FORMAT = 0xe2792aca;
    public static final int EXT_FEATURE_NAME_TABLE = 0x6803f857;
    public static final int EXT_BITMAPS = 0x23852875;
    public static final int EXT_FULL_DISK_ENCRYPTION = 0x0537be77;
    public static final int EXT_EXTERNAL_DATA_FILE = 0x44415441;
    /** Bytes of the bitmaps extension's payload. */
    public static final int BITMAPS_EXT_LENGTH = 24;

    // QEMU's limits.
    public static final int MIN_CLUSTER_BITS = 9;
    public static final int MAX_CLUSTER_BITS = 21;
    public static final int MAX_REFCOUNT_ORDER = 6;
    /** QEMU's limits on table sizes; qimg holds an L1 table in memory, so this also bounds memory. */
    public static final long MAX_L1_BYTES = 32L << 20;
    public static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    public static final long MAX_SNAPSHOTS = 65536;
    public static final int MAX_BACKING_NAME = 1023;
    public static final int MAX_BITMAPS = 65535;
    /** QEMU's QCOW2_MAX_BITMAP_DIRECTORY_SIZE: 1 KiB per bitmap. */
    public static final long MAX_BITMAP_DIRECTORY = 1024L * MAX_BITMAPS;

    private HeaderLayout() {
    }
}
