package org.qimg.converters.convert;

import java.nio.ByteBuffer;

/** One shared, read-only 1 MiB buffer of zeros for comparisons and for writing zero ranges. */
final class Zeros {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private Zeros() {
    }

    /** A read-only zero buffer of min(len, 1 MiB) bytes, position 0. */
    static ByteBuffer slice(int len) {
        return ZEROS.slice(0, Math.min(len, ZEROS.capacity()));
    }
}
