package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Map;
import java.util.TreeMap;
import org.qimg.format.io.Positional;

/**
 * The bytes of a new image that the first pass of a stream output keeps ({@link StreamedQcow2}): its metadata
 * (header, refcount table and blocks, L1 and L2 tables) and the few data writes that land behind data already
 * written; every other byte reads as zero. Kept in pages of one cluster in memory while they fit in
 * {@code budget} bytes; past that, moved into a sparse temporary file ({@link StdoutOutput}'s, in
 * {@code $TMPDIR}, unnamed), which then holds only these bytes: its disk use is the metadata's size, not the
 * image's. Written then read from one thread.
 */
final class MetadataPages implements AutoCloseable {
    /** Bytes of zeros {@link #emit} hands out at a time. */
    private static final int ZEROS = 1 << 20;
    private static final ByteBuffer ZERO_BUFFER = ByteBuffer.allocateDirect(ZEROS).asReadOnlyBuffer();

    /** Receives the bytes of a range in order. */
    @FunctionalInterface
    interface Sink {
        /** Takes all of {@code bytes} (its position to its limit). */
        void accept(ByteBuffer bytes) throws IOException;
    }

    private final int pageSize;
    private final long budget;
    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private StdoutOutput file;
    private ByteBuffer copy;

    /**
     * @param pageSize the image's cluster size (a power of two): metadata comes in whole clusters
     * @param budget   bytes of pages kept in memory before they move into a temporary file
     */
    MetadataPages(int pageSize, long budget) {
        if (Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a power of two");
        }
        this.pageSize = pageSize;
        this.budget = budget;
    }

    /** Bytes held in memory. */
    long memoryBytes() {
        return (long) pages.size() * pageSize;
    }

    /** Whether the pages moved into a temporary file. */
    boolean spilled() {
        return file != null;
    }

    /** Stores {@code src} (position to limit) at {@code pos}; {@code src} is not advanced. */
    void write(long pos, ByteBuffer src) throws IOException {
        if (file != null) {
            Positional.writeFully(file.channel(), src.duplicate(), pos);
            return;
        }
        ByteBuffer b = src.duplicate();
        long at = pos;
        while (b.hasRemaining()) {
            long index = at / pageSize;
            int off = (int) (at % pageSize);
            int n = Math.min(pageSize - off, b.remaining());
            byte[] page = pages.computeIfAbsent(index, k -> new byte[pageSize]);
            b.get(page, off, n);
            at += n;
        }
        if (memoryBytes() > budget) {
            moveToFile();
        }
    }

    /** Forgets every byte at or after {@code length} (the image was shortened). */
    void cut(long length) throws IOException {
        if (file != null) {
            file.channel().truncate(length);
            return;
        }
        long first = length / pageSize;
        int off = (int) (length % pageSize);
        byte[] page = pages.get(first);
        if (page != null && off > 0) {
            java.util.Arrays.fill(page, off, pageSize, (byte) 0);
        }
        pages.tailMap(off > 0 ? first + 1 : first, true).clear();
    }

    /**
     * Hands the bytes of [from, to) to {@code sink} in order: the stored bytes, zeros elsewhere. Pages sent
     * whole are dropped from memory: a stream is sent once, in order. {@code sink} must be done with each
     * buffer when it returns.
     */
    void emit(long from, long to, Sink sink) throws IOException {
        long at = from;
        while (at < to) {
            if (file != null) {
                if (copy == null) {
                    copy = ByteBuffer.allocateDirect(ZEROS);
                }
                copy.clear().limit((int) Math.min(ZEROS, to - at));
                FileChannel ch = file.channel();
                while (copy.hasRemaining()) {
                    int n = ch.read(copy, at + copy.position());
                    if (n < 0) { // past the end of the temporary file: zeros
                        while (copy.hasRemaining()) {
                            copy.put((byte) 0);
                        }
                    }
                }
                copy.flip();
                at += copy.remaining();
                sink.accept(copy);
                continue;
            }
            long index = at / pageSize;
            int off = (int) (at % pageSize);
            byte[] page = pages.get(index);
            if (page != null) {
                int n = (int) Math.min(pageSize - off, to - at);
                sink.accept(ByteBuffer.wrap(page, off, n));
                at += n;
                if (off + n == pageSize) {
                    pages.remove(index); // sent: the stream never goes back
                }
            } else {
                Long next = pages.ceilingKey(index + 1);
                long stop = next == null ? to : Math.min(to, next * pageSize);
                while (at < stop) {
                    int n = (int) Math.min(ZEROS, stop - at);
                    sink.accept(ZERO_BUFFER.duplicate().limit(n));
                    at += n;
                }
            }
        }
    }

    private void moveToFile() throws IOException {
        file = StdoutOutput.create();
        for (Map.Entry<Long, byte[]> e : pages.entrySet()) {
            Positional.writeFully(file.channel(), ByteBuffer.wrap(e.getValue()), e.getKey() * pageSize);
        }
        pages.clear();
    }

    @Override
    public void close() throws IOException {
        pages.clear();
        if (file != null) {
            file.close();
        }
    }
}
