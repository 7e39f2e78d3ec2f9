package org.qimg.format.container;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.qimg.format.CorruptImageException;
import org.tukaani.xz.SeekableFileInputStream;
import org.tukaani.xz.SeekableXZInputStream;

/**
 * The decompressed bytes of an xz file with several blocks (what {@code xz -T0} writes), decoded on several
 * threads: block i+1, i+2 ... are decoded ahead while block i is read. Each thread has its own reader of the
 * file, positioned by the index ({@link SeekableXZInputStream#seekToBlock}). Memory: at most
 * {@code threads + 2} decoded blocks; files whose blocks are too large for {@link #BUDGET} use fewer threads
 * or none ({@link #threadsFor}).
 */
final class ParallelXz extends InputStream {
    /**
     * Decoded blocks held at once, at most: the ones being decoded or waiting ({@code threads}), the one being
     * read and one spare. With xz's default 24 MiB blocks that is two decoding threads (plus their 9 MiB
     * decoders), keeping a convert under 300 MB of RSS whatever the number of cores.
     */
    static final long BUDGET = 112L << 20;

    private final Path file;
    private final UncompressedSize.XzIndex index;
    private final ExecutorService pool;
    private final ThreadLocal<SeekableXZInputStream> readers;
    private final List<SeekableXZInputStream> opened = new ArrayList<>();
    private final ArrayDeque<Future<byte[]>> ahead = new ArrayDeque<>();
    private final int threads;
    private int nextToSubmit;
    private int current = -1;
    private byte[] block = new byte[0];
    private int pos;
    private volatile long failedAt = -1;
    /** Block buffers handed back by the reader, reused by the decoders (no garbage of 24 MiB arrays). */
    private final Queue<byte[]> free = new ConcurrentLinkedQueue<>();

    private ParallelXz(Path file, UncompressedSize.XzIndex index, int threads) {
        this.file = file;
        this.index = index;
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "qimg-xz");
            t.setDaemon(true);
            return t;
        });
        this.readers = ThreadLocal.withInitial(this::openReader);
        while (ahead.size() < threads && nextToSubmit < index.blocks()) {
            submit();
        }
    }

    /** Threads worth using for {@code index}: 0 when one block, or blocks too large to hold two of. */
    static int threadsFor(UncompressedSize.XzIndex index) {
        if (index.blocks() < 2 || index.largestBlock() <= 0 || index.largestBlock() > BUDGET / 3) {
            return 0;
        }
        long fit = BUDGET / index.largestBlock() - 2;
        return (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), fit));
    }

    static ParallelXz open(Path file, UncompressedSize.XzIndex index, int threads) {
        return new ParallelXz(file, index, threads);
    }

    private SeekableXZInputStream openReader() {
        try {
            // no array cache: each thread's decoder keeps its own arrays for the blocks it decodes
            SeekableXZInputStream s = new SeekableXZInputStream(new SeekableFileInputStream(file.toFile()),
                    Codec.XZ_MEMORY_LIMIT_KIB, true, org.tukaani.xz.ArrayCache.getDummyCache());
            synchronized (opened) {
                opened.add(s);
            }
            return s;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void submit() {
        int b = nextToSubmit++;
        ahead.add(pool.submit(() -> decode(b)));
    }

    private byte[] decode(int b) throws IOException {
        SeekableXZInputStream in = readers.get();
        int size = Math.toIntExact(in.getBlockSize(b));
        byte[] out = free.poll();
        if (out == null || out.length < size) {
            out = new byte[size];
        }
        try {
            in.seekToBlock(b);
            int done = 0;
            while (done < size) {
                int n = in.read(out, done, size - done);
                if (n < 0) {
                    throw new java.io.EOFException("block " + b + " ends early");
                }
                done += n;
            }
            // the block's integrity check is verified when reading goes past its end: one more byte (of the
            // next block, or the end of the stream) makes sure every block handed out was checked
            in.read();
        } catch (IOException | RuntimeException e) {
            failedAt = in.getBlockCompPos(b);
            throw e;
        }
        return size == out.length ? out : java.util.Arrays.copyOf(out, size);
    }

    /** Offset in the file of the block being read (for messages). */
    long compressedPosition() {
        long f = failedAt;
        if (f >= 0) {
            return f;
        }
        return current < 0 ? 0 : readers.get().getBlockCompPos(Math.min(current, index.blocks() - 1));
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (pos >= block.length) {
            Future<byte[]> f = ahead.poll();
            if (f == null) {
                return -1;
            }
            if (block.length > 0) {
                free.add(block);
            }
            try {
                block = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while decoding " + file);
            } catch (ExecutionException e) {
                Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
                long at = failedAt >= 0 ? failedAt : 0;
                throw c instanceof CorruptImageException ce ? ce : Decoded.failure(file, Codec.XZ, at, c);
            }
            current++;
            pos = 0;
            if (nextToSubmit < index.blocks()) {
                submit();
            }
        }
        int n = Math.min(len, block.length - pos);
        System.arraycopy(block, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Whether every decoding thread has ended (true once {@link #close()} has returned). */
    boolean decodersStopped() {
        return pool.isTerminated();
    }

    @Override
    public void close() throws IOException {
        pool.shutdownNow();
        // A decoder still working ahead owns its reader: closing that reader under it races inside xz-java
        // (both threads release the same decoder's arrays; one of them meets a NullPointerException). The
        // blocks left are dropped, and the one being decoded ends within a block's decoding time.
        boolean interrupted = false;
        try {
            while (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.SECONDS)) {
                // keep waiting: readers must not be closed under a running decoder
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        synchronized (opened) {
            for (SeekableXZInputStream s : opened) {
                try {
                    s.close();
                } catch (IOException | RuntimeException e) {
                    // closing readers of a file only read
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
