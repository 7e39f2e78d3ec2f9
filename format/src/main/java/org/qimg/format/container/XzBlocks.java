package org.qimg.format.container;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.tukaani.xz.ArrayCache;
import org.tukaani.xz.SeekableFileInputStream;
import org.tukaani.xz.SeekableXZInputStream;

/**
 * The blocks of an xz file as its index lists them (every stream of the file, in order), each decoded on its
 * own by xz-java's {@link SeekableXZInputStream}, which verifies the block's integrity check once its last
 * byte is read. Decoders are kept in a pool, one per thread decoding at a time.
 */
final class XzBlocks extends BlockIndex {
    private final ConcurrentLinkedQueue<SeekableXZInputStream> readers = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private XzBlocks(Path file, long[] starts, int[] sizes, long[] compressed, long length) {
        super(file, starts, sizes, compressed, length);
    }

    /**
     * The blocks of {@code file}, or why they cannot be read one by one: a single block (what {@code xz}
     * writes without {@code -T} or {@code --block-size}), blocks over {@link #MAX_BLOCK}, too many blocks.
     * A file whose index cannot be read fails here, naming the file and the offset of the index.
     */
    static Found open(Path file) throws IOException {
        UncompressedSize.XzIndex summary = UncompressedSize.xzIndex(file);
        if (summary.blocks() < 2) {
            return Found.no("the file is one xz block (xz -T0 or xz --block-size=SIZE write several)");
        }
        if (summary.blocks() > MAX_BLOCKS) {
            return Found.no("the file has " + summary.blocks() + " xz blocks, more than the " + MAX_BLOCKS
                    + " qimg indexes");
        }
        if (summary.largestBlock() > MAX_BLOCK) {
            return Found.no("its largest xz block holds " + summary.largestBlock() + " bytes, more than the "
                    + MAX_BLOCK + " qimg decodes in memory at once");
        }
        try (SeekableXZInputStream xz = reader(file)) {
            int n = xz.getBlockCount();
            long[] starts = new long[n];
            int[] sizes = new int[n];
            long[] comp = new long[n];
            for (int i = 0; i < n; i++) {
                starts[i] = xz.getBlockPos(i);
                sizes[i] = (int) xz.getBlockSize(i);
                comp[i] = xz.getBlockCompPos(i);
            }
            String why = unusable(starts, sizes, xz.length());
            return why != null ? Found.no(why) : new Found(new XzBlocks(file, starts, sizes, comp, xz.length()), null);
        }
    }

    private static SeekableXZInputStream reader(Path file) throws IOException {
        // no array cache: see ParallelXz (xz-java's BasicArrayCache failed now and then after seekToBlock)
        return new SeekableXZInputStream(new SeekableFileInputStream(file.toFile()), Codec.XZ_MEMORY_LIMIT_KIB, true,
                ArrayCache.getDummyCache());
    }

    @Override
    String kind() {
        return "xz";
    }

    @Override
    String pieceName() {
        return "block";
    }

    @Override
    void decode(int i, byte[] into) throws IOException {
        SeekableXZInputStream in = readers.poll();
        boolean ok = false;
        try {
            if (in == null) {
                in = reader(file());
            }
            in.seekToBlock(i);
            int size = size(i);
            int done = 0;
            while (done < size) {
                int n = in.read(into, done, size - done);
                if (n < 0) {
                    throw new java.io.EOFException("the block ends after " + done + " of its " + size + " bytes");
                }
                done += n;
            }
            ok = true;
        } catch (IOException | RuntimeException e) {
            throw failure(i, e);
        } finally {
            if (in != null) {
                if (ok && !closed) {
                    readers.add(in);
                    if (closed) {
                        close(); // closed meanwhile: this reader must not outlive the index
                    }
                } else {
                    closeQuietly(in);
                }
            }
        }
    }

    private static void closeQuietly(SeekableXZInputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // a reader of a file only read
        }
    }

    @Override
    public void close() {
        closed = true;
        SeekableXZInputStream in;
        while ((in = readers.poll()) != null) {
            closeQuietly(in);
        }
    }
}
