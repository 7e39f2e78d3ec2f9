package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@code convert -O raw SRC -}: the disk goes to standard output as one plain stream, in one pass, in guest
 * order: data chunks as read, zero and unallocated ranges as zeros. No temporary file, and a source read in
 * order (raw inside a compressed stream) is read once.
 */
final class RawStreamWriter implements TargetWriter {
    private static final int ZEROS = 1 << 20;
    private static final ByteBuffer ZERO_BUFFER = ByteBuffer.allocateDirect(ZEROS).asReadOnlyBuffer();

    private final StdoutStream out;

    RawStreamWriter(StdoutStream out) {
        this.out = out;
    }

    @Override
    public int granule() {
        return SparseScan.SECTOR;
    }

    @Override
    public Slot write(Chunk chunk, Slot slot) throws IOException {
        if (slot == null) {
            for (long left = chunk.length(); left > 0; left -= ZEROS) {
                out.accept(ZERO_BUFFER.duplicate().limit((int) Math.min(ZEROS, left)));
            }
            return null;
        }
        out.accept(slot.in.duplicate().limit((int) chunk.length()).position(0));
        return slot;
    }

    @Override
    public void finish() throws IOException {
        out.flush();
    }

    @Override
    public void close() {
        // standard output stays open
    }
}
