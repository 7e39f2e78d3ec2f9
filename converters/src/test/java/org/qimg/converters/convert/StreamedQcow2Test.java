package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.TargetRequest;
import org.qimg.format.raw.RawImage;

/**
 * The two-pass stream output: the bytes it sends equal the file the same convert writes, in the layouts where
 * qcow2 writes data behind earlier data (compressed payloads packed into an older cluster, clusters of a
 * replaced refcount table reused), with the metadata in memory or moved to a temporary file; a source that
 * changes between the passes and a reader that goes away end in one-line errors.
 */
class StreamedQcow2Test {
    @TempDir
    Path dir;

    /** Clusters of 4 KiB alternating: random (stored plain by -c), text (compressed), zeros, unallocated. */
    private MemoryImage alternating(int size) {
        MemoryImage img = new MemoryImage(dir.resolve("src"), size, null);
        Random r = new Random(7);
        for (int c = 0; c < size / 4096; c++) {
            byte[] b = new byte[4096];
            switch (c % 7) {
                case 0, 2, 4 -> r.nextBytes(b);
                case 1, 3, 5 -> {
                    byte[] t = ("text " + c + " of the alternating image, ").getBytes();
                    for (int i = 0; i < b.length; i++) {
                        b[i] = t[i % t.length];
                    }
                }
                default -> {
                    continue;
                }
            }
            img.data(c * 4096, b);
        }
        return img;
    }

    private ConvertOptions options(List<String> createOptions, boolean compress) throws IOException {
        return ConvertOptions.builder().threads(2).target(ConvertTarget.create("qcow2",
                new TargetRequest(createOptions, null, null, compress), "out", 1)).build();
    }

    private byte[] file(DiskImage img, ConvertOptions o) throws IOException {
        Path out = dir.resolve("file.qcow2");
        Files.deleteIfExists(out);
        Converter.convert(List.of(img), out, o);
        return Files.readAllBytes(out);
    }

    private StreamedQcow2.Streamed stream(DiskImage img, ConvertOptions o, long budget, ByteArrayOutputStream to)
            throws IOException {
        StdoutStream out = new StdoutStream(Channels.newChannel(to));
        return StreamedQcow2.stream(new ConcatSource(List.of(img), false), o, out, img.path(), budget);
    }

    @Test
    void compressedPayloadsPackedBehindPlainClustersAreMadeAgain() throws IOException {
        for (String codec : List.of("zlib", "zstd")) {
            MemoryImage img = alternating(1 << 20);
            ConvertOptions o = options(List.of("cluster_size=4096,compression_type=" + codec), true);
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            StreamedQcow2.Streamed s = stream(img, o, StreamedQcow2.DEFAULT_BUDGET, sent);
            assertThat(sent.toByteArray()).as(codec).isEqualTo(file(img, o));
            assertThat(s.behindWrites()).as("payloads that went back into an older cluster").isGreaterThan(10);
            assertThat(s.metadataSpilled()).isFalse();
        }
    }

    @Test
    void replacedRefcountTablesAndTinyClustersStreamAsTheFile() throws IOException {
        // 512-byte clusters with 64-bit refcounts: the refcount table (64 entries of blocks of 64 clusters)
        // covers 2 MiB of file, so it is replaced twice and its old clusters reused
        Path raw = dir.resolve("alternating.raw");
        Files.write(raw, alternating(6 << 20).bytes);
        try (DiskImage img = RawImage.open(raw)) {
            for (boolean compress : new boolean[] {false, true}) {
                ConvertOptions o = options(List.of("cluster_size=512,refcount_bits=64"), compress);
                ByteArrayOutputStream sent = new ByteArrayOutputStream();
                stream(img, o, StreamedQcow2.DEFAULT_BUDGET, sent);
                assertThat(sent.toByteArray()).as("-c " + compress).isEqualTo(file(img, o));
            }
        }
    }

    @Test
    void metadataOverTheBudgetMovesToATemporaryFile() throws IOException {
        MemoryImage img = alternating(2 << 20);
        ConvertOptions o = options(List.of("cluster_size=4096"), false);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        StreamedQcow2.Streamed s = stream(img, o, 8192, sent);
        assertThat(s.metadataSpilled()).isTrue();
        assertThat(sent.toByteArray()).isEqualTo(file(img, o));
    }

    @Test
    void anEmptyImageStreams() throws IOException {
        MemoryImage img = new MemoryImage(dir.resolve("empty"), 0, null);
        ConvertOptions o = options(List.of(), true);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        stream(img, o, StreamedQcow2.DEFAULT_BUDGET, sent);
        assertThat(sent.toByteArray()).isEqualTo(file(img, o));
    }

    @Test
    void aSourceThatChangesBetweenThePassesIsAnError() throws IOException {
        MemoryImage inner = alternating(1 << 20);
        Changing img = new Changing(inner);
        ConvertOptions o = options(List.of("cluster_size=4096"), true);
        assertThatThrownBy(() -> stream(img, o, StreamedQcow2.DEFAULT_BUDGET, new ByteArrayOutputStream()))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("changed while it was read twice")
                .hasMessageContaining(inner.path().toString());
    }

    @Test
    void aReaderThatGoesAwayIsABrokenPipeError() throws IOException {
        MemoryImage img = alternating(1 << 20);
        ConvertOptions o = options(List.of(), false);
        WritableByteChannel closed = new WritableByteChannel() {
            private long taken;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (taken >= 65536) {
                    throw new IOException("Broken pipe");
                }
                int n = (int) Math.min(src.remaining(), 65536 - taken);
                src.position(src.position() + n);
                taken += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        assertThatThrownBy(() -> StreamedQcow2.stream(new ConcatSource(List.of(img), false), o,
                new StdoutStream(closed), img.path(), StreamedQcow2.DEFAULT_BUDGET))
                .isInstanceOf(ImageException.class)
                .hasMessage("error while writing to standard output at byte 65536: Broken pipe (the reader closed"
                        + " the pipe before the image was complete)");
    }

    /** An image whose data changes once it has been read whole (after the first pass). */
    private static final class Changing implements DiskImage {
        private final MemoryImage inner;
        private final AtomicLong read = new AtomicLong();

        Changing(MemoryImage inner) {
            this.inner = inner;
        }

        @Override
        public Path path() {
            return inner.path();
        }

        @Override
        public String formatName() {
            return inner.formatName();
        }

        @Override
        public long virtualSize() {
            return inner.virtualSize();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            int start = dst.position();
            inner.read(offset, dst);
            if (read.addAndGet(dst.position() - start) > inner.virtualSize()) {
                for (int i = start; i < dst.position(); i++) {
                    dst.put(i, (byte) (dst.get(i) ^ 0x5a));
                }
            }
        }

        @Override
        public Extent extentAt(long offset, long maxLength) throws IOException {
            return inner.extentAt(offset, maxLength);
        }

        @Override
        public ImageInfo info() throws IOException {
            return inner.info();
        }

        @Override
        public long actualSize() {
            return 0;
        }

        @Override
        public void close() {
        }
    }
}
