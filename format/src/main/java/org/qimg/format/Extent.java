package org.qimg.format;

/**
 * A run of guest bytes with one allocation status in one image layer (no look through backing files).
 *
 * @param start      guest offset of the first byte
 * @param length     number of bytes, &gt; 0
 * @param status     what the layer says about these bytes
 * @param hostOffset byte offset in the layer's data file where the bytes are stored contiguously, or -1
 *                   when there is none (compressed; zero or unallocated without a host cluster). A ZERO or
 *                   UNALLOCATED extent may have one: qcow2 zero clusters that keep their host cluster, and
 *                   unallocated subclusters of an allocated extended-L2 cluster (qemu-img map prints it);
 *                   their host bytes are not guest data.
 * @param compressed true when the bytes are stored in compressed clusters (qcow2's compressed clusters, and
 *                   in the same way a VMDK's compressed grains): only for DATA, whose host offset is then -1;
 *                   each cluster's payload is found with {@link DiskImage#compressedPayload(long)}, its codec
 *                   and size with {@link DiskImage#layout()}
 * @param hostZero   only for DATA: the layer stores the bytes, but the file under them reports them as
 *                   zeros (a hole, or past its end). QEMU's block status then says "data and zero" (it asks
 *                   the host file for metadata-preallocated qcow2 images). Reading the range gives zeros;
 *                   consumers that do not care may treat the extent as plain DATA.
 */
public record Extent(long start, long length, Status status, long hostOffset, boolean compressed,
                     boolean hostZero) {
    public enum Status {
        /** Stored in this layer; reads its own bytes (which may still happen to be zero). */
        DATA,
        /** This layer says the range reads as zeros (zero flag, hole in a raw file). */
        ZERO,
        /** Not allocated in this layer: reads come from the backing file, or zeros without one. */
        UNALLOCATED
    }

    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length must be positive: " + length);
        }
        if (compressed && (status != Status.DATA || hostOffset != -1)) {
            throw new IllegalArgumentException("a compressed extent is DATA without a host offset, not " + status
                    + " at host offset " + hostOffset);
        }
        if (hostZero && status != Status.DATA) {
            throw new IllegalArgumentException("hostZero is only meaningful for DATA extents, not " + status);
        }
    }

    /** An extent whose host file is not consulted ({@code hostZero = false}). */
    public Extent(long start, long length, Status status, long hostOffset, boolean compressed) {
        this(start, length, status, hostOffset, compressed, false);
    }

    public long end() {
        return start + length;
    }
}
