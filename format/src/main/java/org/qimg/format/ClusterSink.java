package org.qimg.format;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A cluster-granular image writer: {@code Qcow2Writer} (a new image) or {@code Qcow2Updater} (an existing
 * one, updated in place). Called from one thread, in increasing cluster order; clusters never handed over
 * stay unallocated.
 */
public interface ClusterSink extends Closeable {
    int clusterSize();

    /** {@code data} holds exactly one cluster (the last one zero-padded). */
    void writePlain(long index, ByteBuffer data) throws IOException;

    /**
     * Stores the final content of a cluster that the caller's write requests touched: with extended L2 only
     * the subclusters in {@code subclusterMask} (bit i = subcluster i of 32) are allocated; {@code startsWrite}
     * says whether the cluster begins a new write request (a new allocation) or continues the previous
     * cluster's. Which requests to make is the caller's choice (converters imitate qemu-img's); sinks without
     * subclusters or allocation runs may ignore both.
     */
    default void writePlain(long index, ByteBuffer data, int subclusterMask, boolean startsWrite)
            throws IOException {
        writePlain(index, data);
    }

    /**
     * As {@link #writePlain(long, ByteBuffer, int, boolean)} with {@code data = base.slice(offset,
     * clusterSize())}, except that the sink may go on reading {@code base} after returning instead of copying
     * the cluster (a sink that writes consecutive clusters of one buffer with one system call saves a memory
     * copy of all data). Before the caller changes or reuses {@code base}, it must call
     * {@link #release(ByteBuffer)} with it.
     */
    default void writePlainBorrowed(long index, ByteBuffer base, int offset, int subclusterMask,
                                    boolean startsWrite) throws IOException {
        writePlain(index, base.slice(offset, clusterSize()), subclusterMask, startsWrite);
    }

    /**
     * Ends every borrow of {@code base} made by {@link #writePlainBorrowed}: clusters of it not yet written
     * are copied (or written) now, so the caller may reuse it. Cheap when nothing of {@code base} is pending.
     */
    default void release(ByteBuffer base) throws IOException {
        // a sink that never borrows has nothing to release
    }

    void writeCompressed(long index, ByteBuffer payload) throws IOException;

    /** Marks the cluster as reading zeros even when the image has a backing file. */
    void writeZero(long index) throws IOException;

    /**
     * As {@link #writeZero(long)}; a sink that has to store the zeros as data (qcow2 v2 has no zero flag)
     * groups them into write requests as {@code startsWrite} says for
     * {@link #writePlain(long, ByteBuffer, int, boolean)}.
     */
    default void writeZero(long index, boolean startsWrite) throws IOException {
        writeZero(index);
    }

    /**
     * As {@link #writeZero(long)}, but the cluster may also give up its storage (QEMU's write-zeroes with
     * {@code BDRV_REQ_MAY_UNMAP}, what its commit job writes into the base): a qcow2 v3 image then marks it zero
     * and frees its host cluster. By default the same as {@link #writeZero(long)}.
     */
    default void writeZeroUnmap(long index) throws IOException {
        writeZero(index);
    }

    /**
     * The allocation granularity inside a cluster: the subcluster size of an image with extended L2 entries
     * (a 32nd of the cluster), else the cluster size.
     */
    default int subclusterSize() {
        return clusterSize();
    }

    /**
     * Makes the subclusters in {@code subclusterMask} (bit i = subcluster i of 32) of cluster {@code index} read
     * as zeros, the others keeping what they hold (QEMU's {@code zero_l2_subclusters}). Only sinks with
     * subclusters take a partial mask; by default an all-ones mask is {@link #writeZero(long)}.
     */
    default void writeZeroSubclusters(long index, int subclusterMask) throws IOException {
        if (subclusterMask != -1) {
            throw new UnsupportedOperationException("this sink has no subclusters");
        }
        writeZero(index);
    }

    /**
     * True when a cluster never handed over reads whatever the file holds where it was preallocated
     * ({@code preallocation=metadata}): zeros in a fresh file, old bytes on a device. A caller writing into
     * storage with old content must then hand over zero clusters too ({@link #writeZero}).
     */
    default boolean unwrittenReadsFile() {
        return false;
    }

    /** Writes the remaining metadata and flushes. */
    void finish() throws IOException;
}
