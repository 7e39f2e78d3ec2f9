package org.qimg.format.vmdk.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.qimg.format.io.Positional;

/**
 * Bytes appended at increasing file positions, gathered in one buffer and written with few large positional
 * writes (grains of a sparse or streamOptimized extent are stored back to back).
 */
final class SequentialOut {
    private final FileChannel channel;
    private final ByteBuffer buffer;
    private long bufferStart;

    SequentialOut(FileChannel channel, long start, int capacity) {
        this.channel = channel;
        this.buffer = ByteBuffer.allocateDirect(capacity);
        this.bufferStart = start;
    }

    /** The file position the next byte goes to. */
    long position() {
        return bufferStart + buffer.position();
    }

    /** Appends all remaining bytes of {@code src}. */
    void put(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = Math.min(src.remaining(), buffer.remaining());
            buffer.put(buffer.position(), src, src.position(), n);
            buffer.position(buffer.position() + n);
            src.position(src.position() + n);
        }
    }

    /** Appends {@code n} zero bytes. */
    void zeros(int n) throws IOException {
        for (int left = n; left > 0; ) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int k = Math.min(left, buffer.remaining());
            for (int i = 0; i < k; i++) {
                buffer.put((byte) 0);
            }
            left -= k;
        }
    }

    void flush() throws IOException {
        buffer.flip();
        long at = bufferStart;
        bufferStart += buffer.remaining();
        Positional.writeFully(channel, buffer, at);
        buffer.clear();
    }
}
