package org.qimg.converters.convert;

import java.io.Closeable;
import java.io.IOException;

/**
 * Places processed chunks into the target, in guest order, from the single writer thread; or, when
 * {@link #writesAnyOrder()}, data chunks from the worker that processed them.
 */
interface TargetWriter extends Closeable {
    /** Granularity chunks are aligned to (512 for raw, the cluster size for qcow2). */
    int granule();

    /**
     * Writes a chunk; {@code slot} holds a data chunk's processed bytes, null for zero/skip chunks. Returns
     * the slot the caller may reuse now: {@code slot} itself, or, for a writer that keeps reading a slot's
     * buffer after returning (to write without copying), an earlier slot it no longer needs, or null.
     * A writer keeps at most one slot.
     */
    Slot write(Chunk chunk, Slot slot) throws IOException;

    /**
     * True when data chunks may be written in any order and from several threads at once (each byte of the
     * target is written by one chunk only, with positional writes): the workers then write their own chunks
     * and the writer thread is not a bottleneck.
     */
    default boolean writesAnyOrder() {
        return false;
    }

    /** True when chunks are qemu-img's write requests ({@link QemuRequestPlanner}), not fixed-size chunks. */
    default boolean followsQemuRequests() {
        return false;
    }

    /** Flushes whatever the format still needs written. */
    void finish() throws IOException;
}
