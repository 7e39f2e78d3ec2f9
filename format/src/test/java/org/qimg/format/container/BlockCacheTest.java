package org.qimg.format.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.CorruptImageException;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Random reads of multi-block xz and multi-frame zstd files through {@link BlockCache}: from several threads
 * at once, with a budget that holds only a few pieces, every read returns the bytes that were compressed and
 * the memory held never passes the budget; a damaged piece is an error naming the file and the piece's
 * compressed offset, and the other pieces still read; files with one piece are not indexed.
 */
class BlockCacheTest {
    private static final int PIECE = 256 * 1024;

    @TempDir
    Path dir;

    /** 20 pieces of 256 KiB (the last one shorter): text-like, random and zero stretches. */
    private static byte[] content() {
        byte[] b = new byte[19 * PIECE + 12345];
        Random r = new Random(13);
        for (int i = 0; i < b.length; i += 4096) {
            int kind = r.nextInt(3);
            for (int j = i; j < Math.min(b.length, i + 4096); j++) {
                b[j] = kind == 0 ? 0 : kind == 1 ? (byte) r.nextInt() : (byte) ('a' + (j % 26));
            }
        }
        return b;
    }

    private Path xz(byte[] content, int blockSize) throws IOException {
        Path p = dir.resolve("c.xz");
        try (OutputStream f = Files.newOutputStream(p); XZOutputStream out = new XZOutputStream(f, new LZMA2Options(1))) {
            for (int off = 0; off < content.length; off += blockSize) {
                out.write(content, off, Math.min(blockSize, content.length - off));
                out.endBlock();
            }
        }
        return p;
    }

    private Path zstd(byte[] content, int frameSize) throws IOException {
        Path p = dir.resolve("c.zst");
        try (OutputStream f = Files.newOutputStream(p)) {
            for (int off = 0; off < content.length; off += frameSize) {
                // zstd-jni's one-shot compression records the content size, as the zstd tool does for files
                f.write(Zstd.compress(Arrays.copyOfRange(content, off, Math.min(content.length, off + frameSize)), 3));
            }
        }
        return p;
    }

    private static BlockIndex index(BlockIndex.Found f) {
        assertThat(f.whyNot()).isNull();
        return f.index();
    }

    @Test
    void concurrentRandomReadsOfXzStayWithinTheBudget() throws Exception {
        byte[] content = content();
        randomReads(index(XzBlocks.open(xz(content, PIECE))), content);
    }

    @Test
    void concurrentRandomReadsOfZstdStayWithinTheBudget() throws Exception {
        byte[] content = content();
        randomReads(index(ZstdBlocks.open(zstd(content, PIECE))), content);
    }

    private static void randomReads(BlockIndex index, byte[] content) throws Exception {
        assertThat(index.count()).isEqualTo(20);
        assertThat(index.length()).isEqualTo(content.length);
        // room for 3 pieces, one decoding ahead
        BlockCache cache = new BlockCache(index, 3L * PIECE, 1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = t;
                done.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int k = 0; k < 100; k++) {
                        long pos = r.nextInt(content.length);
                        int len = (int) Math.min(r.nextInt(3 * PIECE / 2) + 1, content.length - pos);
                        ByteBuffer got = ByteBuffer.allocate(len);
                        cache.read(pos, got);
                        assertThat(got.array()).as("bytes at %d (%d)", pos, len)
                                .isEqualTo(Arrays.copyOfRange(content, (int) pos, (int) pos + len));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
            cache.close();
        }
        assertThat(cache.peakBytes()).as("bytes held at once").isLessThanOrEqualTo(3L * PIECE);
    }

    @Test
    void aForwardReaderDecodesEachPieceOnce() throws IOException {
        byte[] content = content();
        BlockIndex index = index(XzBlocks.open(xz(content, PIECE)));
        try (BlockCache cache = new BlockCache(index, 4L * PIECE, 2)) {
            for (long pos = 0; pos < content.length; pos += 65536) {
                ByteBuffer b = ByteBuffer.allocate((int) Math.min(65536, content.length - pos));
                cache.read(pos, b);
                assertThat(b.array()).isEqualTo(Arrays.copyOfRange(content, (int) pos, (int) pos + b.capacity()));
            }
            assertThat(cache.decodedPieces()).isEqualTo(20);
        }
    }

    @Test
    void aDamagedXzBlockNamesItsOffsetAndTheOthersStillRead() throws IOException {
        byte[] content = content();
        Path p = xz(content, PIECE);
        BlockIndex clean = index(XzBlocks.open(p));
        long at = clean.compressedOffset(5);
        long next = clean.compressedOffset(6);
        clean.close();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}), (at + next) / 2);
        }
        BlockIndex index = index(XzBlocks.open(p));
        try (BlockCache cache = new BlockCache(index, 3L * PIECE, 0)) {
            ByteBuffer b = ByteBuffer.allocate(100);
            assertThatThrownBy(() -> cache.read(5L * PIECE + 10, b)).isInstanceOf(CorruptImageException.class)
                    .hasMessageStartingWith(p + ": offset " + at + " ").hasMessageContaining("block 5 of 20");
            ByteBuffer ok = ByteBuffer.allocate(100);
            cache.read(7L * PIECE, ok);
            assertThat(ok.array()).isEqualTo(Arrays.copyOfRange(content, 7 * PIECE, 7 * PIECE + 100));
        }
    }

    @Test
    void aDamagedZstdFrameNamesItsOffset() throws IOException {
        byte[] content = content();
        Path p = zstd(content, PIECE);
        BlockIndex clean = index(ZstdBlocks.open(p));
        long at = clean.compressedOffset(3);
        long next = clean.compressedOffset(4);
        clean.close();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // inside the frame's data, past its header (the walk of block headers must still succeed): the
            // content checksum or the entropy decoder catches it
            ch.position(0);
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, next - 9);
            one.put(0, (byte) (one.get(0) ^ 0x55)).rewind();
            ch.write(one, next - 9);
        }
        BlockIndex index = index(ZstdBlocks.open(p));
        try (BlockCache cache = new BlockCache(index, 3L * PIECE, 0)) {
            assertThatThrownBy(() -> cache.read(3L * PIECE, ByteBuffer.allocate(10)))
                    .isInstanceOf(CorruptImageException.class)
                    .hasMessageStartingWith(p + ": offset " + at + " ").hasMessageContaining("frame 3 of 20");
        }
    }

    @Test
    void onePieceIsNotIndexed() throws IOException {
        byte[] content = content();
        assertThat(XzBlocks.open(xz(content, content.length)).whyNot()).contains("one xz block");
        assertThat(ZstdBlocks.open(zstd(content, content.length)).whyNot()).contains("one zstd frame");
    }

    /**
     * The seekable format (zstd's contrib/seekable_format): frames without content sizes, placed by the seek
     * table in the skippable frame at the end.
     */
    @Test
    void aSeekTableGivesTheSizesOfFramesThatDoNotRecordThem() throws IOException {
        byte[] content = content();
        Path p = dir.resolve("seekable.zst");
        java.io.ByteArrayOutputStream table = new java.io.ByteArrayOutputStream();
        int frames = 0;
        try (OutputStream f = Files.newOutputStream(p)) {
            for (int off = 0; off < content.length; off += PIECE) {
                int len = Math.min(PIECE, content.length - off);
                java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
                try (OutputStream z = new com.github.luben.zstd.ZstdOutputStream(b)) {
                    z.write(content, off, len);
                }
                f.write(b.toByteArray());
                table.write(le32(b.size()));
                table.write(le32(len));
                frames++;
            }
            // footer: number of frames, descriptor (no checksums), seekable magic
            table.write(le32(frames));
            table.write(0);
            table.write(le32(0x8F92EAB1));
            f.write(le32(0x184D2A5E));
            f.write(le32(table.size()));
            f.write(table.toByteArray());
        }
        BlockIndex index = index(ZstdBlocks.open(p));
        assertThat(index.count()).isEqualTo(20);
        try (BlockCache cache = new BlockCache(index, 3L * PIECE, 0)) {
            ByteBuffer b = ByteBuffer.allocate(PIECE);
            cache.read(7L * PIECE + 100, b);
            assertThat(b.array()).isEqualTo(Arrays.copyOfRange(content, 7 * PIECE + 100, 8 * PIECE + 100));
        }
        // a table that lies about a frame's compressed size is not used
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(le32(1)), ch.size() - 9 - 8 * 20);
        }
        assertThat(ZstdBlocks.open(p).whyNot()).contains("seek table does not match frame 0");
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Test
    void framesWithoutContentSizeAreNotIndexed() throws IOException {
        Path p = dir.resolve("stream.zst");
        try (OutputStream f = Files.newOutputStream(p)) {
            for (int i = 0; i < 2; i++) {
                // a streaming compressor does not know the size in advance: no content size in the header
                java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
                try (OutputStream z = new com.github.luben.zstd.ZstdOutputStream(b)) {
                    z.write(new byte[100000]);
                }
                f.write(b.toByteArray());
            }
        }
        assertThat(ZstdBlocks.open(p).whyNot()).contains("does not record its content size");
    }
}
