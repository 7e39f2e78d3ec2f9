package org.qimg.converters.commit;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.qimg.format.DiskImage;

/**
 * Reads the image's whole data clusters ahead of the copy, a chunk at a time on a few threads, as QEMU's job
 * keeps up to 16 requests of 1 MiB in flight: the reads of the next chunks overlap the writes of this one.
 * The caller plans a window's chunks in the order it will take them ({@link #plan}), then takes each chunk
 * ({@link #take}) and gives its buffer back ({@link #give}); a chunk taken out of order is read at once by the
 * caller instead. At most {@code depth} buffers are in use, so memory stays bounded.
 */
final class ReadAhead implements AutoCloseable {
    private final DiskImage top;
    private final ExecutorService pool;
    private final int depth;
    private final int chunk;
    private final ArrayDeque<long[]> planned = new ArrayDeque<>();
    private final ArrayDeque<long[]> keys = new ArrayDeque<>();
    private final ArrayDeque<Future<ByteBuffer>> inFlight = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();

    ReadAhead(DiskImage top, int threads, int depth, int chunk) {
        this.top = top;
        this.depth = depth;
        this.chunk = chunk;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "commit-read");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Plans the chunks that {@link Committer} will copy from the data ranges of {@code dirty}: the whole
     * clusters inside each range (below {@code limit}), {@code chunk} bytes at a time from the first.
     */
    void plan(List<long[]> dirty, int cs, long limit) throws IOException {
        for (long[] d : dirty) {
            if (d[2] != 0) {
                continue;
            }
            long from = (d[0] + cs - 1) / cs * cs;
            long to = Math.min(d[1], limit) / cs * cs;
            for (long off = from; off < to; off += chunk) {
                planned.add(new long[] {off, Math.min(chunk, to - off)});
            }
        }
        fill();
    }

    private void fill() {
        while (!planned.isEmpty() && inFlight.size() < depth) {
            long[] k = planned.poll();
            ByteBuffer buf = free.isEmpty() ? ByteBuffer.allocateDirect(chunk) : free.poll();
            keys.add(k);
            inFlight.add(pool.submit(() -> {
                buf.clear().limit((int) k[1]);
                top.read(k[0], buf);
                buf.flip();
                return buf;
            }));
        }
    }

    /** The content of [offset, offset + length) if it is the next chunk planned, else null (read it yourself). */
    ByteBuffer take(long offset, int length) throws IOException {
        if (keys.isEmpty() || keys.peek()[0] != offset || keys.peek()[1] != length) {
            drop();
            return null;
        }
        keys.poll();
        ByteBuffer b = await(inFlight.poll());
        fill();
        return b;
    }

    /** Returns a buffer {@link #take} gave. */
    void give(ByteBuffer b) {
        free.add(b);
        fill();
    }

    /** Forgets every chunk planned (waiting for the reads under way, whose buffers are then free). */
    void drop() throws IOException {
        planned.clear();
        keys.clear();
        while (!inFlight.isEmpty()) {
            free.add(await(inFlight.poll()));
        }
    }

    private static ByteBuffer await(Future<ByteBuffer> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading ahead");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
