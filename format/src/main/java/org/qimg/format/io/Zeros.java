package org.qimg.format.io;

import java.nio.ByteBuffer;

/** Zero-filling of read buffers (unallocated and zero ranges of an image), from one shared read-only buffer. */
public final class Zeros {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    private Zeros() {
    }

    /** Fills the remaining bytes of {@code dst} with zeros; its position ends at its limit. */
    public static void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit(Math.min(z.capacity(), dst.remaining()));
            dst.put(z);
        }
    }
}
