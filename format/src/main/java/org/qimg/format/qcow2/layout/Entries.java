package org.qimg.format.qcow2.layout;

/**
 * The bits of L1 entries, L2 entries (standard and compressed cluster descriptors), extended-L2 subcluster
 * bitmaps and refcount table entries (qcow2.txt, "Cluster mapping" and "Refcounts"), and QEMU's cluster
 * types. Every reader and writer of these entries decodes and encodes them here.
 */
public final class Entries {
    /** Host offset in L1 entries, standard L2 descriptors and refcount table entries: bits 9..55. */
    public static final long OFFSET_MASK = 0x00fffffffffffe00L;
    /** Refcount table entries: bits 9..63 hold the refcount block's offset; bits 0..8 are reserved. */
    public static final long REFTABLE_OFFSET_MASK = 0xfffffffffffffe00L;
    public static final long REFTABLE_RESERVED_MASK = 0x1ffL;
    /** Bit 63 of L1 and L2 entries: the refcount of the cluster is exactly 1. */
    public static final long COPIED = 1L << 63;
    /** Bit 62 of L2 entries: the cluster is compressed. */
    public static final long COMPRESSED = 1L << 62;
    /** Bit 0 of standard L2 descriptors (v3, without extended L2): the cluster reads as zeros. */
    public static final long ZERO = 1L;
    public static final long L1_RESERVED_MASK = 0x7f000000000001ffL;
    public static final long L2_STD_RESERVED_MASK = 0x3f000000000001feL;
    /** Extended L2 bitmap: the 32 "allocated" bits (low half) and the 32 "reads as zero" bits (high half). */
    public static final long SUBCLUSTERS_ALLOCATED = 0xffffffffL;
    public static final long SUBCLUSTERS_ZERO = 0xffffffffL << 32;
    /** Bytes per L1 entry and per standard L2 entry; an extended L2 entry is twice that. */
    public static final int ENTRY_BYTES = 8;
    public static final int SUBCLUSTERS = 32;
    /** Compressed payloads are counted in 512-byte sectors. */
    public static final int SECTOR = 512;

    /** QEMU's cluster types (qcow2_get_cluster_type). */
    public enum Type { UNALLOCATED, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED }

    private Entries() {
    }

    /** Bytes per L2 entry: 16 with extended L2, else 8. */
    public static int l2EntryBytes(boolean extendedL2) {
        return extendedL2 ? 2 * ENTRY_BYTES : ENTRY_BYTES;
    }

    /**
     * QEMU's cluster type of an L2 entry; with an external data file ({@code dataFile}), offset 0 with
     * COPIED set is a normal cluster at data file offset 0.
     */
    public static Type type(long entry, boolean extendedL2, boolean dataFile) {
        if ((entry & COMPRESSED) != 0) {
            return Type.COMPRESSED;
        }
        if ((entry & ZERO) != 0 && !extendedL2) {
            return (entry & OFFSET_MASK) != 0 ? Type.ZERO_ALLOC : Type.ZERO_PLAIN;
        }
        if ((entry & OFFSET_MASK) == 0) {
            return dataFile && (entry & COPIED) != 0 ? Type.NORMAL : Type.UNALLOCATED;
        }
        return Type.NORMAL;
    }

    /**
     * Bit position where a compressed descriptor's sector count starts: {@code x = 62 - (cluster_bits - 8)};
     * bits 0..x-1 hold the payload's host byte offset, bits x..61 the number of 512-byte sectors it
     * occupies after the first.
     */
    public static int compressedShift(int clusterBits) {
        return 62 - (clusterBits - 8);
    }

    /** Host byte offset (not aligned) of a compressed payload. */
    public static long compressedOffset(long entry, int clusterBits) {
        return entry & ((1L << compressedShift(clusterBits)) - 1);
    }

    /** The "additional sectors" field of a compressed descriptor. */
    public static long compressedExtraSectors(long entry, int clusterBits) {
        return (entry >>> compressedShift(clusterBits)) & ((1L << (clusterBits - 8)) - 1);
    }

    /**
     * Bytes a compressed descriptor reserves: from its host offset to the end of its last 512-byte sector.
     * The payload itself may be shorter; a reader tolerates the padding.
     */
    public static long compressedSpan(long entry, int clusterBits) {
        long sectors = compressedExtraSectors(entry, clusterBits) + 1;
        return sectors * SECTOR - (compressedOffset(entry, clusterBits) & (SECTOR - 1));
    }

    /**
     * The L2 entry of a payload of {@code length} bytes at host byte {@code offset}: the compressed flag,
     * the sectors after the first that the payload touches, and the offset. COPIED is never set.
     */
    public static long compressedEntry(long offset, long length, int clusterBits) {
        if (length <= 0 || offset < 0 || offset >= 1L << compressedShift(clusterBits)) {
            throw new IllegalArgumentException("compressed payload of " + length + " bytes at " + offset);
        }
        long extra = (offset + length - 1) / SECTOR - offset / SECTOR;
        if (extra >= 1L << (clusterBits - 8)) {
            throw new IllegalArgumentException("compressed payload of " + length + " bytes is too long for "
                    + "clusters of 2^" + clusterBits + " bytes");
        }
        return COMPRESSED | (extra << compressedShift(clusterBits)) | offset;
    }
}
