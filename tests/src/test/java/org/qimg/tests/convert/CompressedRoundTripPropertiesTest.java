package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * Random sparse guest layouts round-trip raw -> {@code qimg convert -c} (zlib, zstd) -> {@code qimg convert -O
 * raw} byte for byte (the raw length rounded up to a sector, as qemu sees it); every few tries
 * {@code qemu-img check} must find the compressed image clean and {@code qemu-img compare} identical to the
 * source.
 */
class CompressedRoundTripPropertiesTest {
    private static final int MAX_SIZE = 1 << 20;
    private static Path dir;
    private static final AtomicInteger TRIES = new AtomicInteger();

    @BeforeContainer
    static void makeDir() throws Exception {
        dir = Files.createTempDirectory("qimg-roundtrip");
    }

    @AfterContainer
    static void removeDir() throws Exception {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One run of the guest layout. */
    enum Kind { ZEROS, HOLE, PATTERN, TEXT, RANDOM }

    record Run(Kind kind, int length, long seed) {
    }

    record Layout(List<Run> runs, int clusterSize, String codec) {
        int size() {
            return Math.min(MAX_SIZE, runs.stream().mapToInt(Run::length).sum());
        }
    }

    @Provide
    Arbitrary<Layout> layouts() {
        Arbitrary<Run> run = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.oneOf(Arbitraries.integers().between(1, 4096),
                        Arbitraries.integers().between(1, 300_000),
                        Arbitraries.of(512, 4096, 65536, 131072)),
                Arbitraries.longs()).as(Run::new);
        return Combinators.combine(run.list().ofMinSize(1).ofMaxSize(24),
                Arbitraries.of(512, 1024, 2048, 4096, 8192, 16384, 32768, 65536),
                Arbitraries.of("zlib", "zstd")).as(Layout::new);
    }

    @Property(tries = 30)
    void compressedRoundTripIsExact(@ForAll("layouts") Layout layout) throws Exception {
        int n = TRIES.incrementAndGet();
        Path src = dir.resolve("src-" + n + ".raw");
        Path qcow = dir.resolve("c-" + n + ".qcow2");
        Path back = dir.resolve("back-" + n + ".raw");
        byte[] expected = write(layout, src);

        ProcResult c = Qimg.inProcess("convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
                "cluster_size=" + layout.clusterSize() + ",compression_type=" + layout.codec(), "-m", "2",
                src.toString(), qcow.toString());
        assertThat(c.exitCode()).as(c.stderr()).isZero();
        ProcResult r = Qimg.inProcess("convert", "-f", "qcow2", "-O", "raw", qcow.toString(), back.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();

        byte[] padded = Arrays.copyOf(expected, (expected.length + 511) / 512 * 512);
        byte[] actual = Files.readAllBytes(back);
        assertThat(actual.length).isEqualTo(padded.length);
        assertThat(Arrays.mismatch(actual, padded)).as("first differing byte").isEqualTo(-1);

        if (n % 6 == 1) {
            Proc.ok(dir, "qemu-img", "check", qcow.toString());
            Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", src.toString(), qcow.toString());
        }
        Files.delete(src);
        Files.delete(qcow);
        Files.delete(back);
    }

    /** Writes the layout to a raw file (HOLE runs are skipped, leaving file-system holes); returns its bytes. */
    private static byte[] write(Layout layout, Path file) throws Exception {
        int size = Math.max(1, layout.size());
        byte[] all = new byte[size];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int pos = 0;
            for (Run run : layout.runs()) {
                if (pos >= size) {
                    break;
                }
                int len = Math.min(run.length(), size - pos);
                fill(run, all, pos, len);
                if (run.kind() != Kind.HOLE) {
                    ch.write(ByteBuffer.wrap(all, pos, len), pos);
                }
                pos += len;
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.wrap(all, size - 1, 1), size - 1);
            }
        }
        return all;
    }

    private static void fill(Run run, byte[] b, int off, int len) {
        Random r = new Random(run.seed());
        switch (run.kind()) {
            case ZEROS, HOLE -> {
            }
            case PATTERN -> Arrays.fill(b, off, off + len, (byte) (1 + r.nextInt(255)));
            case TEXT -> {
                String words = "qcow2 cluster refcount table zlib zstd guest offset ";
                for (int i = 0; i < len; i++) {
                    b[off + i] = (byte) words.charAt((i + r.nextInt(3)) % words.length());
                }
            }
            case RANDOM -> {
                byte[] x = new byte[len];
                r.nextBytes(x);
                System.arraycopy(x, 0, b, off, len);
            }
        }
    }
}
