package org.qimg.format.container;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.qimg.format.ImageException;

/**
 * Random reads of the decompressed bytes of a {@link BlockIndex}: the pieces holding the bytes asked for are
 * decoded (each once while it stays cached) and kept in a cache of at most {@link #budget} bytes, the least
 * recently used piece going first. Pieces being decoded count against the budget too, so memory stays
 * bounded whatever the image size and the number of reading threads: a reader whose piece does not fit
 * waits until another piece is done with.
 *
 * <p>A reader moving forward (a convert reads the image mostly in order of its host offsets) has the next
 * pieces decoded ahead on {@link #aheadThreads} background threads, when they fit beside what is cached
 * without pushing out anything at or after the piece being read.
 *
 * <p>Thread-safe.
 */
final class BlockCache implements ContentChannel.Source {
    /**
     * Decoded bytes held at once, at most: 128 MiB (two of the largest pieces allowed). Smaller pieces get
     * what a forward reader needs, no more: the piece being read, one behind it (reads of a convert's threads
     * straddle pieces), and those decoded ahead; 64 MiB for {@code xz --block-size=16MiB} on two cores.
     */
    static final long BUDGET = 2L * BlockIndex.MAX_BLOCK;

    private final BlockIndex index;
    private final long budget;
    private final int aheadThreads;
    private final ExecutorService ahead;
    private final Map<Integer, Entry> entries = new HashMap<>();
    /** Arrays of evicted pieces, reused for the next ones (no garbage of many-MiB arrays). */
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
    private long used;
    private long clock;
    private long decoded;
    private long peak;
    private boolean closed;

    /** One piece: being decoded ({@code data} null, {@code failure} null), decoded, or failed. */
    private static final class Entry {
        final int piece;
        byte[] data;
        IOException failure;
        int pins;
        long lastUse;

        Entry(int piece) {
            this.piece = piece;
        }

        boolean ready() {
            return data != null;
        }
    }

    BlockCache(BlockIndex index) {
        this(index, aheadThreads());
    }

    private BlockCache(BlockIndex index, int ahead) {
        this(index, Math.min(BUDGET, (2L + ahead) * index.largest()), ahead);
    }

    private static int aheadThreads() {
        return Math.max(1, Math.min(3, Runtime.getRuntime().availableProcessors() - 1));
    }

    /** With {@code budget} bytes of cache and {@code aheadThreads} decoding ahead (0: none). */
    BlockCache(BlockIndex index, long budget, int aheadThreads) {
        if (budget < 2L * index.largest()) {
            budget = 2L * index.largest();
        }
        this.index = index;
        this.budget = budget;
        this.aheadThreads = aheadThreads;
        this.ahead = aheadThreads == 0 ? null : Executors.newFixedThreadPool(aheadThreads, r -> {
            Thread t = new Thread(r, "qimg-" + index.kind() + "-ahead");
            t.setDaemon(true);
            return t;
        });
    }

    /** Pieces decoded so far (a piece decoded twice counts twice): for tests of the cache. */
    synchronized long decodedPieces() {
        return decoded;
    }

    /** The most bytes held (cached and being decoded) at any time so far: for tests of the bound. */
    synchronized long peakBytes() {
        return peak;
    }

    /** The byte budget. */
    long budget() {
        return budget;
    }

    /** Fills {@code dst} with the decompressed bytes from {@code pos}; they must lie within the length. */
    @Override
    public void read(long pos, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int i = index.pieceAt(pos);
            Entry e = acquire(i);
            try {
                int in = (int) (pos - index.start(i));
                int n = Math.min(dst.remaining(), index.size(i) - in);
                dst.put(e.data, in, n);
                pos += n;
            } finally {
                release(e);
            }
            readAhead(i);
        }
    }

    /** The decoded piece {@code i}, pinned (not evicted until {@link #release}); decodes it if needed. */
    private Entry acquire(int i) throws IOException {
        Entry e;
        boolean mine = false;
        synchronized (this) {
            requireOpen();
            e = entries.get(i);
            if (e == null) {
                reserve(index.size(i), -1);
                // reserve may have waited: another reader may have started on this piece meanwhile
                e = entries.get(i);
                if (e != null) {
                    used -= index.size(i);
                    notifyAll();
                } else {
                    e = new Entry(i);
                    entries.put(i, e);
                    mine = true;
                }
            }
            e.pins++;
        }
        if (mine) {
            decodeInto(e);
        }
        synchronized (this) {
            try {
                while (!e.ready() && e.failure == null) {
                    waitHere();
                }
            } catch (IOException x) {
                e.pins--;
                throw x;
            }
            if (e.failure != null) {
                e.pins--;
                throw e.failure;
            }
            e.lastUse = ++clock;
            return e;
        }
    }

    private synchronized void release(Entry e) {
        e.pins--;
        notifyAll();
    }

    /** Decodes {@code e}'s piece (its space is reserved) and publishes the result or the failure. */
    private void decodeInto(Entry e) {
        int size = index.size(e.piece);
        byte[] buf;
        synchronized (this) {
            buf = spare.poll();
            if (buf == null || buf.length < size) {
                buf = new byte[size];
            }
        }
        IOException failure = null;
        try {
            index.decode(e.piece, buf);
        } catch (IOException x) {
            failure = x;
        } catch (RuntimeException x) {
            failure = index.failure(e.piece, x);
        }
        synchronized (this) {
            if (failure == null) {
                e.data = buf;
                decoded++;
            } else {
                e.failure = failure;
                entries.remove(e.piece);
                used -= size;
            }
            notifyAll();
        }
    }

    /**
     * Makes room for {@code size} more bytes: evicts least recently used pieces that nobody reads, waiting for
     * readers or decoders when nothing can go. With {@code keepFrom >= 0} (reading ahead) nothing at or after
     * piece {@code keepFrom} is evicted and nothing waits: false when there is no room.
     */
    private boolean reserve(long size, int keepFrom) throws IOException {
        while (used + size > budget) {
            Entry victim = null;
            for (Entry x : entries.values()) {
                if (x.ready() && x.pins == 0 && (keepFrom < 0 || x.piece < keepFrom)
                        && (victim == null || x.lastUse < victim.lastUse)) {
                    victim = x;
                }
            }
            if (victim != null) {
                entries.remove(victim.piece);
                used -= index.size(victim.piece);
                if (spare.size() < 2) {
                    spare.add(victim.data);
                }
                victim.data = null;
                continue;
            }
            if (keepFrom >= 0) {
                return false;
            }
            waitHere();
            requireOpen();
        }
        used += size;
        peak = Math.max(peak, used);
        return true;
    }

    /** Starts decoding the pieces after {@code i} that are not there yet, as far as they fit. */
    private void readAhead(int i) {
        if (ahead == null) {
            return;
        }
        for (int k = 1; k <= aheadThreads && i + k < index.count(); k++) {
            int next = i + k;
            Entry e;
            synchronized (this) {
                if (closed || entries.containsKey(next)) {
                    continue;
                }
                try {
                    if (!reserve(index.size(next), i)) {
                        return;
                    }
                } catch (IOException x) {
                    return;
                }
                e = new Entry(next);
                e.lastUse = ++clock;
                entries.put(next, e);
            }
            try {
                ahead.execute(() -> decodeInto(e));
            } catch (RejectedExecutionException x) {
                synchronized (this) {
                    entries.remove(next);
                    used -= index.size(next);
                    e.failure = new ImageException(index.file() + ": closed");
                    notifyAll();
                }
            }
        }
    }

    private void waitHere() throws IOException {
        try {
            wait();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while decoding " + index.file());
        }
    }

    private void requireOpen() throws ImageException {
        if (closed) {
            throw new ImageException(index.file() + ": image is closed");
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            closed = true;
            entries.clear();
            spare.clear();
            notifyAll();
        }
        if (ahead != null) {
            ahead.shutdownNow();
        }
        index.close();
    }
}
