package org.qimg.format.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Positional I/O helpers: read or write a whole buffer at an offset, safe from many threads. */
public final class Positional {
    private Positional() {
    }

    /** Fills {@code dst} from {@code position}; a short file is an error naming the file and offset. */
    public static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file) throws IOException {
        if (position < 0 && dst.hasRemaining()) {
            throw new IOException(file + ": read at offset " + Long.toUnsignedString(position)
                    + ", beyond 2^63 (a damaged offset field)");
        }
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new EOFException(file + ": unexpected end of file at offset " + pos + " (needed "
                        + dst.remaining() + " more bytes)");
            }
            pos += n;
        }
    }

    /** Writes all of {@code src} at {@code position}. */
    public static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    /** The alignment {@link #alignedBuffer} gives: what O_DIRECT asks of buffers on common file systems. */
    public static final int DIRECT_ALIGN = 4096;

    /**
     * A direct buffer of {@code size} bytes starting on a {@link #DIRECT_ALIGN} boundary, so that whole
     * blocks written from it may bypass the page cache (an {@code O_DIRECT} output channel).
     */
    public static ByteBuffer alignedBuffer(int size) {
        // whole units plus one: the aligned part then holds at least size bytes
        int units = (size + DIRECT_ALIGN - 1) / DIRECT_ALIGN + 1;
        return ByteBuffer.allocateDirect(units * DIRECT_ALIGN).alignedSlice(DIRECT_ALIGN).limit(size).slice();
    }
}
