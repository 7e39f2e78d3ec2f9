package org.qimg.converters.convert;

import java.io.Closeable;
import java.io.IOException;

/** Places processed chunks into the target, in guest order, from the single writer thread. */
interface TargetWriter extends Closeable {
    /** Granularity chunks are aligned to (512 for raw, the cluster size for qcow2). */
    int granule();

    /** Writes a chunk; {@code slot} holds a data chunk's processed bytes, null for zero/skip chunks. */
    void write(Chunk chunk, Slot slot) throws IOException;

    /** Flushes whatever the format still needs written. */
    void finish() throws IOException;
}
