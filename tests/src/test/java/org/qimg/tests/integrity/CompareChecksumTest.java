package org.qimg.tests.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/** {@code qimg compare} against {@code qemu-img compare}, {@code qimg checksum} against sha256sum of qemu's raw. */
class CompareChecksumTest {
    @TempDir
    static Path dir;

    record Pair(String name, String a, String b, String[] flags) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static String p(String name) {
        return dir.resolve(name).toString();
    }

    private static void img(String... args) {
        new Qemu(dir).img(args);
    }

    private static void io(String file, String... cmds) {
        new Qemu(dir).io(dir.resolve(file), file.endsWith(".raw") ? "raw" : "qcow2", cmds);
    }

    private static void poke(String file, long offset, int value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p(file), "rw")) {
            f.seek(offset);
            f.write(value);
        }
    }

    @BeforeAll
    static void images() throws IOException {
        Qemu.assumeInstalled();
        img("create", "-q", "-f", "qcow2", p("a.qcow2"), "8M");
        io("a.qcow2", "write -P 0x11 0 300k", "write -P 0x22 1M 64k", "write -z 2M 128k", "write -P 0x33 5M 1k");
        img("convert", "-O", "raw", p("a.qcow2"), p("a.raw"));
        img("convert", "-c", "-O", "qcow2", p("a.qcow2"), p("a-zlib.qcow2"));
        img("convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd,cluster_size=4096", p("a.qcow2"), p("a-zstd.qcow2"));
        // a differs from a.raw in the middle of a sector inside data, and as a byte in a zero region
        Files.copy(dir.resolve("a.raw"), dir.resolve("mid.raw"));
        poke("mid.raw", 1048576 + 700, 0x99);
        Files.copy(dir.resolve("a.raw"), dir.resolve("hole.raw"));
        poke("hole.raw", 4 * 1048576 + 1234, 1);
        img("convert", "-O", "qcow2", p("hole.raw"), p("hole.qcow2"));
        // longer images: zero tail, and a tail with data
        img("create", "-q", "-f", "qcow2", "-b", p("a.qcow2"), "-F", "qcow2", p("overlay.qcow2"), "12M");
        io("overlay.qcow2", "write -P 0x11 300k 4k");
        img("create", "-q", "-f", "qcow2", p("long.qcow2"), "12M");
        io("long.qcow2", "write -P 0x11 0 300k", "write -P 0x22 1M 64k", "write -P 0x33 5M 1k", "write -z 9M 64k");
        img("create", "-q", "-f", "qcow2", p("longdata.qcow2"), "12M");
        io("longdata.qcow2", "write -P 0x11 0 300k", "write -P 0x22 1M 64k", "write -P 0x33 5M 1k",
                "write -P 7 10M 4k");
        Files.write(dir.resolve("odd.raw"), new byte[1000]); // 1000 bytes: qemu sees 1024
        // Larger than qimg's 16 MiB compare pieces and map windows, data written backwards so that the
        // qcow2's host clusters run against guest order; differences on either side of a piece boundary
        img("create", "-q", "-f", "qcow2", p("big.qcow2"), "48M");
        io("big.qcow2", "write -P 0x41 40M 4M", "write -P 0x42 30M 6M", "write -P 0x43 14M 4M",
                "write -P 0x44 0 2M", "write -P 0x45 17M 64k");
        img("convert", "-O", "raw", p("big.qcow2"), p("big.raw"));
        for (long at : new long[] {16 * 1048576L + 5, 16 * 1048576L - 3, 35 * 1048576L + 100}) {
            String name = "big-" + at + ".raw";
            Files.copy(dir.resolve("big.raw"), dir.resolve(name));
            poke(name, at, 0x5a);
        }
        img("create", "-q", "-f", "qcow2", p("odd.qcow2"), "1024");
    }

    static Stream<Pair> pairs() {
        String[] none = {};
        return Stream.of(
                new Pair("qcow2 vs its raw", "a.qcow2", "a.raw", none),
                new Pair("zlib vs zstd", "a-zlib.qcow2", "a-zstd.qcow2", none),
                new Pair("mid-sector difference", "a.raw", "mid.raw", none),
                new Pair("difference where one side is unallocated", "a.qcow2", "hole.raw", none),
                new Pair("qcow2 vs qcow2 with the difference", "a-zstd.qcow2", "hole.qcow2", none),
                new Pair("overlay over backing, longer", "a.qcow2", "overlay.qcow2", none),
                new Pair("longer with zero tail", "a.raw", "long.qcow2", none),
                new Pair("longer with data in the tail", "longdata.qcow2", "a.qcow2", none),
                new Pair("strict: sizes differ", "a.raw", "long.qcow2", new String[] {"-s"}),
                new Pair("odd-sized raw", "odd.raw", "odd.qcow2", none),
                new Pair("same file", "a.qcow2", "a.qcow2", none),
                new Pair("48M, host order against guest order", "big.qcow2", "big.raw", none),
                new Pair("48M, strict", "big.raw", "big.qcow2", new String[] {"-s"}),
                new Pair("difference 5 bytes into the second piece", "big.qcow2", "big-16777221.raw", none),
                new Pair("difference 3 bytes before the second piece", "big-16777213.raw", "big.qcow2", none),
                new Pair("difference in the third piece", "big.raw", "big-36700260.raw", none));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void compareSaysWhatQemuSays(Pair pair) throws IOException {
        String[] q = new String[pair.flags.length + 4];
        q[0] = "qemu-img";
        q[1] = "compare";
        System.arraycopy(pair.flags, 0, q, 2, pair.flags.length);
        q[q.length - 2] = p(pair.a);
        q[q.length - 1] = p(pair.b);
        ProcResult qr = Proc.run(dir, q);
        String[] m = new String[q.length - 1];
        System.arraycopy(q, 1, m, 0, m.length);
        ProcResult mr = Qimg.inProcess(m);
        assertThat(mr.exitCode()).as("exit code; qimg stderr %s", mr.stderr()).isEqualTo(qr.exitCode());
        assertThat(mr.stdout()).isEqualTo(qr.stdout());
    }

    @Test
    void compareErrorsExitTwo() throws IOException {
        ProcResult qr = Proc.run(dir, "qemu-img", "compare", p("a.qcow2"), p("missing.qcow2"));
        ProcResult mr = Qimg.inProcess("compare", p("a.qcow2"), p("missing.qcow2"));
        assertThat(mr.exitCode()).isEqualTo(qr.exitCode()).isEqualTo(2);
        assertThat(mr.stderr()).contains("missing.qcow2");
    }

    @Test
    void compareQuietPrintsNothing() {
        ProcResult mr = Qimg.inProcess("compare", "-q", p("a.raw"), p("mid.raw"));
        assertThat(mr.exitCode()).isEqualTo(1);
        assertThat(mr.stdout()).isEmpty();
    }

    static Stream<String> checksumImages() {
        return Stream.of("a.qcow2", "a.raw", "a-zlib.qcow2", "a-zstd.qcow2", "overlay.qcow2", "hole.qcow2", "odd.raw");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checksumImages")
    void checksumIsSha256OfQemuRawOutput(String name) throws IOException {
        Path raw = dir.resolve(name + ".oracle.raw");
        img("convert", "-O", "raw", p(name), raw.toString());
        String expected = Proc.ok(dir, "sha256sum", raw.toString()).split(" ")[0];
        Files.delete(raw);
        ProcResult mr = Qimg.inProcess("checksum", p(name));
        assertThat(mr.exitCode()).as(mr.stderr()).isZero();
        assertThat(mr.stdout()).isEqualTo(expected + "  " + p(name) + "\n");
    }

    @Test
    void sameContentSameChecksumAcrossFormats() {
        String raw = Qimg.inProcess("checksum", p("a.raw")).stdout().split(" ")[0];
        String zstd = Qimg.inProcess("checksum", p("a-zstd.qcow2")).stdout().split(" ")[0];
        String hole = Qimg.inProcess("checksum", p("hole.qcow2")).stdout().split(" ")[0];
        assertThat(zstd).isEqualTo(raw).hasSize(64);
        assertThat(hole).isNotEqualTo(raw);
    }

    @Test
    void convertVerifyComparesTargetWithSource() throws IOException {
        ProcResult r = Qimg.inProcess("convert", "--verify", "-O", "raw", p("overlay.qcow2"), p("verified.raw"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(Proc.run(dir, "qemu-img", "compare", p("overlay.qcow2"), p("verified.raw")).exitCode()).isZero();
    }
}
