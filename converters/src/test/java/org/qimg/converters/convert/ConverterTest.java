package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.converters.ProgressListener;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.raw.RawImage;

class ConverterTest {
    private static final int CLUSTER = 64 * 1024;

    @TempDir
    Path dir;

    /** 4 MiB: compressible clusters, random (incompressible) ones, zero-flag runs, data that is zero, holes. */
    private MemoryImage mixedImage() {
        MemoryImage img = new MemoryImage(dir.resolve("src"), 4 << 20, null);
        Random r = new Random(42);
        for (int c = 0; c < 64; c++) {
            int kind = c % 5;
            byte[] b = new byte[CLUSTER];
            if (kind == 0) {
                r.nextBytes(b);
            } else if (kind == 1) {
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) (i / 100 + c);
                }
            } else if (kind == 2) {
                img.zero(c * CLUSTER, CLUSTER);
                continue;
            } else if (kind == 3) {
                b = new byte[CLUSTER]; // allocated but all zero
            } else {
                continue; // unallocated
            }
            img.data(c * CLUSTER, b);
        }
        return img;
    }

    private List<String> convertClusters(DiskImage img, int threads, boolean compress) throws IOException {
        RecordingSink sink = new RecordingSink(CLUSTER);
        ConvertOptions.Builder b = ConvertOptions.builder().threads(threads).chunkSize(256 * 1024)
                .clusterTarget((ch, p, size) -> sink);
        if (compress) {
            b.compress(RecordingSink.TestCompressor::new);
        }
        Converter.convert(List.of(img), dir.resolve("out-" + threads + compress), b.build());
        assertThat(sink.finished).isTrue();
        return sink.ops;
    }

    @Test
    void compressedOutputIsTheSameWithOneOrManyThreads() throws IOException {
        MemoryImage img = mixedImage();
        List<String> one = convertClusters(img, 1, true);
        List<String> many = convertClusters(img, 4, true);
        assertThat(many).isEqualTo(one);
        // 64 clusters: 13 random (stored plain), 13 compressible (compressed), the rest zero or unallocated
        assertThat(one).hasSize(26);
        assertThat(one.stream().filter(s -> s.startsWith("C"))).hasSize(13);
        assertThat(one.stream().filter(s -> s.startsWith("P"))).hasSize(13);
        assertThat(one.get(0)).startsWith("P0:");
        assertThat(one.get(1)).startsWith("C1:");
    }

    @Test
    void targetWithBackingGetsZeroClustersAndSkipsUnallocated() throws IOException {
        MemoryImage base = new MemoryImage(dir.resolve("base"), 1 << 20, null);
        base.data(0, filled(1 << 20, (byte) 7));
        MemoryImage top = new MemoryImage(dir.resolve("top"), 1 << 20, base);
        top.data(CLUSTER, filled(CLUSTER, (byte) 9)).zero(3 * CLUSTER, CLUSTER);
        RecordingSink sink = new RecordingSink(CLUSTER);
        Converter.convert(List.of(top), dir.resolve("o"), ConvertOptions.builder().threads(2)
                .clusterTarget((ch, p, size) -> sink).targetHasBacking(true).build());
        assertThat(sink.ops).hasSize(2);
        assertThat(sink.ops.get(0)).startsWith("P1:");
        assertThat(sink.ops.get(1)).isEqualTo("Z3");
        assertThat(base.bytesRead.get()).isZero();
    }

    @Test
    void rawOutputIsExactAndIndependentOfThreads() throws IOException {
        MemoryImage img = mixedImage();
        Path a = dir.resolve("a.raw");
        Path b = dir.resolve("b.raw");
        Converter.convert(List.of(img), a, ConvertOptions.builder().threads(1).chunkSize(128 * 1024).build());
        Converter.convert(List.of(img), b, ConvertOptions.builder().threads(3).chunkSize(128 * 1024).build());
        byte[] expected = new byte[img.bytes.length];
        img.read(0, java.nio.ByteBuffer.wrap(expected));
        assertThat(Files.readAllBytes(a)).isEqualTo(expected);
        assertThat(Files.readAllBytes(b)).isEqualTo(expected);
    }

    @Test
    void concatenatesSources() throws IOException {
        MemoryImage x = new MemoryImage(dir.resolve("x"), 3 * 512, null).data(0, filled(3 * 512, (byte) 1));
        MemoryImage y = new MemoryImage(dir.resolve("y"), 5 * 512, null).data(512, filled(512, (byte) 2));
        Path out = dir.resolve("xy.raw");
        Converter.convert(List.of(x, y), out, ConvertOptions.builder().threads(2).build());
        byte[] got = Files.readAllBytes(out);
        assertThat(got).hasSize(8 * 512);
        assertThat(got[3 * 512 - 1]).isEqualTo((byte) 1);
        assertThat(got[3 * 512]).isEqualTo((byte) 0);
        assertThat(got[4 * 512]).isEqualTo((byte) 2);
    }

    @Test
    void knownZerosAreNeverRead() throws IOException {
        MemoryImage img = new MemoryImage(dir.resolve("big"), 64 << 20, null);
        img.data(10 << 20, filled(1 << 20, (byte) 3)).zero(20 << 20, 8 << 20);
        ConvertResult r = Converter.convert(List.of(img), dir.resolve("big.raw"),
                ConvertOptions.builder().threads(2).build());
        assertThat(img.bytesRead.get()).isEqualTo(1 << 20);
        assertThat(r.bytesRead()).isEqualTo(1 << 20);
        assertThat(Files.size(dir.resolve("big.raw"))).isEqualTo(64 << 20);
    }

    @Test
    void memoryInFlightIsBoundedWhileTheWriterIsStuck() throws Exception {
        // a plain cluster target follows qemu-img's 2 MiB write requests: 12 chunks for 6 slots (the writer
        // keeps the previous request's slot, which its next allocation run may still be reading)
        MemoryImage img = new MemoryImage(dir.resolve("many"), 24 << 20, null);
        img.data(0, filled(24 << 20, (byte) 5));
        RecordingSink sink = new RecordingSink(CLUSTER);
        sink.gate = new CountDownLatch(1);
        int threads = 2;
        ConvertOptions o = ConvertOptions.builder().threads(threads)
                .clusterTarget((ch, p, size) -> sink).build();
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<ConvertResult> f = ex.submit(() -> Converter.convert(List.of(img), dir.resolve("b"), o));
            assertThat(sink.firstWrite.await(20, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300);
            // the writer holds one chunk; workers may have finished the others, but no more than the slots
            assertThat(img.reads.get()).isLessThanOrEqualTo(2 * threads + 2);
            sink.gate.countDown();
            ConvertResult r = f.get(60, TimeUnit.SECONDS);
            assertThat(img.reads.get()).isEqualTo(12);
            assertThat(r.maxSlotsUsed()).isLessThanOrEqualTo(r.slots());
            assertThat(r.slots()).isEqualTo(2 * threads + 2);
        } finally {
            sink.gate.countDown();
            ex.shutdownNow();
        }
    }

    @Test
    void failingSourceLeavesNoFileAndKeepsTheOldDestination() throws IOException {
        MemoryImage img = new MemoryImage(dir.resolve("bad"), 4 << 20, null);
        img.data(0, filled(4 << 20, (byte) 1));
        img.failAt = 3 << 20;
        Path dst = dir.resolve("dst.raw");
        Files.write(dst, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Converter.convert(List.of(img), dst,
                ConvertOptions.builder().threads(2).chunkSize(CLUSTER).build()))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("offset " + (3 << 20));
        assertThat(Files.readAllBytes(dst)).containsExactly(1, 2, 3);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("dst.raw");
        }
    }

    @Test
    void refusesToOverwriteTheSourceThroughAnyName() throws IOException {
        Path src = dir.resolve("disk.raw");
        Files.write(src, filled(4096, (byte) 8));
        Path link = dir.resolve("link.raw");
        Files.createSymbolicLink(link, src);
        Path hard = dir.resolve("hard.raw");
        Files.createLink(hard, src);
        try (RawImage img = RawImage.open(src)) {
            for (Path dst : List.of(src, link, hard)) {
                assertThatThrownBy(() -> Converter.convert(List.of(img), dst, ConvertOptions.builder().build()))
                        .isInstanceOf(ImageException.class).hasMessageContaining("same file");
            }
        }
        assertThat(Files.readAllBytes(src)).isEqualTo(filled(4096, (byte) 8));
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s).hasSize(3);
        }
    }

    @Test
    void progressGoesUpToTheGuestSize() throws IOException {
        MemoryImage img = mixedImage();
        List<Long> seen = new ArrayList<>();
        boolean[] finished = {false};
        ProgressListener l = new ProgressListener() {
            @Override
            public void progress(long done, long total) {
                assertThat(total).isEqualTo(4 << 20);
                seen.add(done);
            }

            @Override
            public void finished() {
                finished[0] = true;
            }
        };
        Converter.convert(List.of(img), dir.resolve("p.raw"), ConvertOptions.builder().progress(l).build());
        assertThat(seen).isSorted().last().isEqualTo((long) (4 << 20));
        assertThat(finished[0]).isTrue();
    }

    @Test
    void optionsRejectQemuIncompatibleCombinations() {
        assertThatThrownBy(() -> ConvertOptions.builder().sparseSize(1000)).hasMessageContaining("multiples of 512");
        assertThatThrownBy(() -> ConvertOptions.builder().targetIsZero(true).build()).hasMessageContaining("-n");
        assertThatThrownBy(() -> ConvertOptions.builder().compress(RecordingSink.TestCompressor::new).build())
                .hasMessageContaining("raw");
    }

    static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, v);
        return b;
    }
}
