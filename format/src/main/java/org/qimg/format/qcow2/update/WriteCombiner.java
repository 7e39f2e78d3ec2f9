package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.qimg.format.io.Positional;

/**
 * Coalesces writes to consecutive host offsets into one positional write of up to {@link #CAPACITY} bytes
 * (one system call instead of one per cluster). Bytes are copied when they are queued, so callers may reuse
 * their buffers at once; {@link #flush()} writes what is queued.
 */
final class WriteCombiner {
    static final int CAPACITY = 4 << 20;

    private final FileChannel ch;
    private ByteBuffer buf;
    private long start = -1;

    WriteCombiner(FileChannel ch) {
        this.ch = ch;
    }

    /** Queues {@code src}'s remaining bytes for host offset {@code pos}. */
    void write(ByteBuffer src, long pos) throws IOException {
        int len = src.remaining();
        if (len == 0) {
            return;
        }
        if (start >= 0 && (pos != start + buf.position() || buf.remaining() < len)) {
            flush();
        }
        if (len > CAPACITY) {
            Positional.writeFully(ch, src, pos);
            return;
        }
        if (buf == null) {
            buf = ByteBuffer.allocateDirect(CAPACITY);
        }
        if (start < 0) {
            start = pos;
        }
        buf.put(src);
    }

    /** Writes what is queued. */
    void flush() throws IOException {
        if (start < 0) {
            return;
        }
        buf.flip();
        Positional.writeFully(ch, buf, start);
        buf.clear();
        start = -1;
    }
}
