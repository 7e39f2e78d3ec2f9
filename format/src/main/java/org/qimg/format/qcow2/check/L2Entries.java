package org.qimg.format.qcow2.check;

/** Bit layout of L1 and L2 entries (qcow2 spec, "Cluster mapping"), and QEMU's cluster types. */
final class L2Entries {
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    static final long L1_RESERVED_MASK = 0x7f000000000001ffL;
    static final long L2_STD_RESERVED_MASK = 0x3f000000000001feL;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    static final long BITMAP_ALL_ALLOC = 0xffffffffL;
    static final long BITMAP_ALL_ZEROES = 0xffffffff00000000L;

    enum Type { UNALLOCATED, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED }

    private L2Entries() {
    }

    /**
     * QEMU's cluster type of an L2 entry; with an external data file ({@code dataFile}), offset 0 with
     * COPIED set is a normal cluster at data file offset 0.
     */
    static Type type(long entry, boolean extendedL2, boolean dataFile) {
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

    /** Host byte offset of a compressed payload. */
    static long compressedOffset(long entry, int clusterBits) {
        int shift = 62 - (clusterBits - 8);
        return entry & ((1L << shift) - 1);
    }

    /** Bytes from {@link #compressedOffset} to the end of the payload's last 512-byte sector. */
    static long compressedSize(long entry, int clusterBits) {
        int shift = 62 - (clusterBits - 8);
        long sectors = ((entry >>> shift) & ((1L << (clusterBits - 8)) - 1)) + 1;
        return sectors * 512 - (compressedOffset(entry, clusterBits) & 511);
    }
}
