package org.qimg.format.container;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The frames of a zstd file with several (concatenated files, {@code cat a.zst b.zst}; the frames of the
 * seekable format), found by walking the frame and block headers ({@link ZstdFrames}), each decoded on its own.
 * Only frames whose size is known without decoding them can be placed: recorded in their header (what the zstd
 * tool writes for a file), or in the seek table of the seekable format ({@link ZstdFrames#seekTable}); a file
 * with any other frame (a stream piped into {@code zstd}, what {@code pzstd} writes) is not indexed. The walk reads
 * every block header, so it is bounded: at most {@link #MAX_BLOCKS} frames.
 */
final class ZstdBlocks extends BlockIndex {
    /** Compressed bytes a frame may take beyond its content (frame, block headers and checksum). */
    private static final int SLACK = 1 << 20;

    private final FileChannel channel;
    /** Where each frame ends in the file. */
    private final long[] ends;

    private ZstdBlocks(Path file, FileChannel channel, long[] starts, int[] sizes, long[] compressed, long[] ends,
                       long length) {
        super(file, starts, sizes, compressed, length);
        this.channel = channel;
        this.ends = ends;
    }

    /** The frames of {@code file}, or why they cannot be read one by one. */
    static Found open(Path file) throws IOException {
        List<ZstdFrames.Frame> frames = ZstdFrames.frames(file, MAX_BLOCKS);
        if (frames == null) {
            return Found.no("the file has more than " + MAX_BLOCKS + " zstd frames, which qimg does not index");
        }
        int n = frames.size();
        if (n < 2) {
            return Found.no("the file is one zstd frame (zstd writes one per file; concatenated files have "
                    + "several)");
        }
        List<ZstdFrames.SeekEntry> table = ZstdFrames.seekTable(file, MAX_BLOCKS);
        if (table != null && table.size() != n) {
            return Found.no("its zstd seek table lists " + table.size() + " frames, the file has " + n);
        }
        long[] starts = new long[n];
        int[] sizes = new int[n];
        long[] comp = new long[n];
        long end = 0;
        for (int i = 0; i < n; i++) {
            ZstdFrames.Frame f = frames.get(i);
            if (table != null) {
                ZstdFrames.SeekEntry t = table.get(i);
                if (t.compressedSize() != f.end() - f.offset()
                        || f.contentSize() >= 0 && f.contentSize() != t.decompressedSize()) {
                    return Found.no("its zstd seek table does not match frame " + i);
                }
                f = new ZstdFrames.Frame(f.offset(), f.end(), t.decompressedSize());
            }
            if (f.contentSize() < 0) {
                return Found.no("zstd frame " + i + " does not record its content size (and the file has no seek "
                        + "table)");
            }
            if (f.contentSize() > MAX_BLOCK || f.end() - f.offset() > MAX_BLOCK + SLACK) {
                return Found.no("zstd frame " + i + " holds " + f.contentSize() + " bytes, more than the " + MAX_BLOCK
                        + " qimg decodes in memory at once");
            }
            if (f.contentSize() == 0) {
                return Found.no("zstd frame " + i + " is empty");
            }
            starts[i] = end;
            sizes[i] = (int) f.contentSize();
            comp[i] = f.offset();
            end += sizes[i];
        }
        String why = unusable(starts, sizes, end);
        if (why != null) {
            return Found.no(why);
        }
        long[] ends = frames.stream().mapToLong(ZstdFrames.Frame::end).toArray();
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new Found(new ZstdBlocks(file, ch, starts, sizes, comp, ends, end), null);
    }

    @Override
    String kind() {
        return "zstd";
    }

    @Override
    String pieceName() {
        return "frame";
    }

    @Override
    void decode(int i, byte[] into) throws IOException {
        long from = compressedOffset(i);
        byte[] src = new byte[(int) (ends[i] - from)];
        ByteBuffer b = ByteBuffer.wrap(src);
        while (b.hasRemaining()) {
            if (channel.read(b, from + b.position()) < 0) {
                throw new DecodeFailure(file().toString(), from + b.position(), "truncated zstd stream "
                        + "(the file ends inside frame " + i + ")");
            }
        }
        long n;
        try {
            n = Zstd.decompressByteArray(into, 0, size(i), src, 0, src.length);
        } catch (ZstdException | IllegalArgumentException e) {
            throw failure(i, e);
        }
        if (n != size(i)) {
            throw failure(i, new IOException("it holds " + n + " bytes, its header says " + size(i)));
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
