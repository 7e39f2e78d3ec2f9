package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.TreeMap;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.io.ReadRange;

/**
 * A raw disk read from a {@link Sequential} source (a compressed stream) without a temporary file. Bytes are
 * decoded in order into 1 MiB blocks; blocks of zeros are only remembered as such (one bit each), blocks with
 * data are kept in a bounded cache ({@link #MAX_BLOCKS}) from which reads are served. A convert reads the
 * disk in guest order, a few chunks at a time from several threads, so each block is decoded once and read
 * from the cache. A read behind the oldest cached block (an unusual order of reads) starts decoding again
 * from the beginning: always correct, slow only for callers that jump backwards.
 *
 * <p>The disk is {@code length} bytes rounded up to whole 512-byte sectors, as a raw file. The stream must
 * hold exactly {@code length} bytes (known from the container's index or a counting pass): fewer is a
 * truncated stream, more a stream that does not match its index; both are errors naming the file.
 *
 * <p>Thread-safe: reads are serialised on the decoder (one stream decodes on one thread at a time).
 */
final class StreamImage implements DiskImage {
    static final int BLOCK = 1 << 20;
    /**
     * Blocks of data kept for reads: 24 MiB, or more on machines with many cores, always more than a convert
     * has in flight (2 x threads + 2 chunks of 1 MiB), so that its reads never jump behind the cache.
     */
    static final int MAX_BLOCKS = Math.max(24, 2 * (2 * Runtime.getRuntime().availableProcessors() + 2) + 4);

    private final Path path;
    private final Sequential source;
    private final long length;
    private final long virtualSize;
    private final int maxBlocks;

    private Sequential.Reader reader;
    private long nextBlock;
    private long decodedBlocks;
    private final TreeMap<Long, byte[]> cache = new TreeMap<>();
    private final BitSet zero = new BitSet();
    private final ArrayDeque<byte[]> pool = new ArrayDeque<>();
    private int restarts;
    private boolean closed;

    StreamImage(Path path, Sequential source, long length) {
        this(path, source, length, MAX_BLOCKS);
    }

    /** With a cache of {@code maxBlocks} blocks (tests make it small to exercise restarts). */
    StreamImage(Path path, Sequential source, long length, int maxBlocks) {
        this.maxBlocks = maxBlocks;
        this.path = path;
        this.source = source;
        this.length = length;
        this.virtualSize = length % 512 == 0 ? length : Math.addExact(length, 512 - length % 512);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return "raw";
    }

    @Override
    public long virtualSize() {
        return virtualSize;
    }

    /** How many times reading had to start again from the beginning (0 for a convert). */
    synchronized int restarts() {
        return restarts;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int len = dst.remaining();
        ReadRange.require(path, offset, len, virtualSize);
        synchronized (this) {
            if (closed) {
                throw new ImageException(path + ": image is closed");
            }
            long pos = offset;
            while (dst.hasRemaining()) {
                long idx = pos / BLOCK;
                int in = (int) (pos % BLOCK);
                int n = Math.min(dst.remaining(), BLOCK - in);
                byte[] b = block(idx);
                if (b == null) {
                    for (int i = 0; i < n; i++) {
                        dst.put((byte) 0);
                    }
                } else {
                    dst.put(b, in, n);
                }
                pos += n;
            }
        }
    }

    /** The block's bytes, or null when it is all zeros. */
    private byte[] block(long idx) throws IOException {
        if (idx < decodedBlocks && zero.get(Math.toIntExact(idx))) {
            return null;
        }
        byte[] b = cache.get(idx);
        if (b != null) {
            return b;
        }
        if (reader == null || idx < nextBlock) {
            restart();
        }
        while (nextBlock <= idx) {
            decodeNext();
        }
        b = cache.get(idx);
        if (b == null && !zero.get(Math.toIntExact(idx))) {
            throw new IllegalStateException("block " + idx + " of " + path + " was decoded but not kept");
        }
        return b;
    }

    private void restart() throws IOException {
        if (reader != null) {
            reader.close();
            restarts++;
        }
        reader = null;
        nextBlock = 0;
        reader = source.open();
    }

    private void decodeNext() throws IOException {
        long start = nextBlock * BLOCK;
        int want = (int) Math.min(BLOCK, Math.max(0, length - start));
        byte[] b = pool.isEmpty() ? new byte[BLOCK] : pool.poll();
        int got = reader.readFully(b, 0, want);
        if (got < want) {
            throw new CorruptImageException(path.toString(), reader.compressedPosition(), "truncated "
                    + source.kind() + " stream: it ends after " + (start + got) + " of the " + length
                    + " uncompressed bytes it should hold");
        }
        if (start + want >= length && want > 0 || length == 0) {
            if (!reader.atEnd()) {
                throw new CorruptImageException(path.toString(), reader.compressedPosition(), source.kind()
                        + " stream holds more than the " + length + " uncompressed bytes its index says");
            }
        }
        Arrays.fill(b, want, BLOCK, (byte) 0);
        int i = Math.toIntExact(nextBlock);
        if (allZero(b, want)) {
            zero.set(i);
            pool.add(b);
        } else {
            zero.clear(i);
            cache.put(nextBlock, b);
            if (cache.size() > maxBlocks) {
                // the oldest other block goes (never the one just decoded: after a restart it is the lowest)
                Long oldest = cache.firstKey() == nextBlock ? cache.higherKey(nextBlock) : cache.firstKey();
                pool.add(cache.remove(oldest));
            }
        }
        nextBlock++;
        decodedBlocks = Math.max(decodedBlocks, nextBlock);
    }

    private static final byte[] ZEROS = new byte[BLOCK];

    private static boolean allZero(byte[] b, int n) {
        return Arrays.mismatch(b, 0, n, ZEROS, 0, n) < 0;
    }

    /** The whole disk is one data run: a stream has no map of its zeros before it is decoded. */
    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        if (offset < 0 || offset >= virtualSize || maxLength <= 0) {
            throw new ImageException(path + ": extent query at offset " + offset + " (length " + maxLength
                    + ") is outside the image (virtual size " + virtualSize + ")");
        }
        return new Extent(offset, Math.min(maxLength, virtualSize - offset), Extent.Status.DATA, offset, false);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("raw", virtualSize, null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() throws IOException {
        return org.qimg.format.raw.HostFiles.allocatedBytes(path);
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        cache.clear();
        pool.clear();
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }
}
