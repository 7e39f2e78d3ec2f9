package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Issue 13: {@code qimg convert -O qcow2 [-c] SRC -} streams the image to standard output in two passes over
 * SRC, with no temporary copy (TMPDIR pointing nowhere does not matter), and the bytes piped out equal the file
 * the same convert writes (md5) — and so qemu-img's where qimg's file is — for plain and compressed (zlib and
 * zstd) output, cluster sizes from 512 B to 2 MiB, refcount widths, extended L2, v2 images, preallocated
 * metadata, a backing file (-B) and sources in several formats; {@code qemu-img check} finds each clean and
 * {@code qemu-img compare} identical to the source. A sparse 1 TiB source with little data streams in bounded
 * memory. A reader that closes the pipe early gets a one-line error (EPIPE), and no temporary file is left.
 * A source that can only be read once in order (raw inside xz) still goes through a temporary copy for qcow2;
 * raw goes out in one pass without one.
 */
class Qcow2StdoutTest {
    @TempDir
    static Path dir;
    private static Qemu qemu;

    @BeforeAll
    static void inputs() {
        Qemu.assumeInstalled();
        qemu = new Qemu(dir);
        Content.writeMixed(dir.resolve("mixed.raw"), (8L << 20) + 4096, 31);
        qemu.img("convert", "-q", "-c", "-O", "qcow2", "mixed.raw", "mixed.qcow2");
        qemu.img("convert", "-q", "-O", "vmdk", "-o", "subformat=streamOptimized", "mixed.raw", "mixed.vmdk");
        qemu.img("convert", "-q", "-O", "qcow2", "mixed.raw", "base.qcow2");
        qemu.img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        qemu.io(dir.resolve("top.qcow2"), "qcow2", "write -P 0x44 1M 3M", "write -z 5M 1M", "discard 7M 64k");
        Proc.ok(dir, "xz", "-T1", "-k", "mixed.raw");
        Proc.ok(dir, "mkdir", "tmp");
    }

    private static String launcher(String... args) {
        return Qimg.command(args).stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("mixed.raw", ""),
                Arguments.of("mixed.raw", "-c"),
                Arguments.of("mixed.raw", "-c -o compression_type=zstd"),
                Arguments.of("mixed.raw", "-o cluster_size=512,refcount_bits=64"),
                Arguments.of("mixed.raw", "-c -o cluster_size=512,refcount_bits=64"),
                Arguments.of("mixed.raw", "-c -o cluster_size=4096,compression_type=zstd"),
                Arguments.of("mixed.raw", "-o cluster_size=2M,extended_l2=on"),
                Arguments.of("mixed.raw", "-o cluster_size=16k,extended_l2=on,refcount_bits=1 -S 64k"),
                Arguments.of("mixed.raw", "-o compat=0.10 -S 0"),
                Arguments.of("mixed.raw", "-o preallocation=metadata"),
                Arguments.of("mixed.qcow2", "-c -o cluster_size=8192"),
                Arguments.of("mixed.qcow2", ""),
                Arguments.of("mixed.vmdk", "-c -o compression_type=zstd,cluster_size=1M"),
                Arguments.of("top.qcow2", "-B base.qcow2 -F qcow2"),
                Arguments.of("top.qcow2", "-c -B base.qcow2 -F qcow2 -o cluster_size=4096"));
    }

    private static List<String> convertArgs(String src, String opts, String dst) {
        List<String> a = new ArrayList<>(List.of("convert", "-O", "qcow2"));
        if (!opts.isEmpty()) {
            a.addAll(List.of(opts.split(" ")));
        }
        a.add(src);
        a.add(dst);
        return a;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pipedImageEqualsTheFileQimgWrites(String src, String opts) {
        String tag = (src + opts).replaceAll("[^A-Za-z0-9]", "_");
        ProcResult file = Qimg.subprocess(dir, convertArgs(src, opts, "file-" + tag).toArray(String[]::new));
        assertThat(file.exitCode()).as(file.describe()).isZero();
        // no temporary directory to write to: the stream needs none
        ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; TMPDIR=/nonexistent "
                + launcher(convertArgs(src, opts, "-").toArray(String[]::new)) + " | cat > pipe-" + tag);
        assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
        assertThat(pipe.stderr()).isEmpty();
        assertThat(Digests.md5(dir.resolve("pipe-" + tag))).isEqualTo(Digests.md5(dir.resolve("file-" + tag)));
        ProcResult check = qemu.imgResult("check", "pipe-" + tag);
        assertThat(check.exitCode()).as(check.describe()).isZero();
        ProcResult cmp = qemu.imgResult("compare", src, "pipe-" + tag);
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }

    /** Where qimg's file is qemu-img's (plain and zlib), the stream is qemu-img's file too. */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("qemuIdentical")
    void pipedImageEqualsQemuImgsFile(String opts) {
        String tag = "qemu" + opts.replaceAll("[^A-Za-z0-9]", "_");
        qemu.img(convertArgs("mixed.raw", opts, "theirs-" + tag).toArray(String[]::new));
        ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; "
                + launcher(convertArgs("mixed.raw", opts, "-").toArray(String[]::new)) + " > ours-" + tag);
        assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
        assertThat(Digests.md5(dir.resolve("ours-" + tag))).isEqualTo(Digests.md5(dir.resolve("theirs-" + tag)));
    }

    static Stream<String> qemuIdentical() {
        return Stream.of("", "-c", "-o cluster_size=4096", "-c -o cluster_size=512");
    }

    @Test
    void sparseTerabyteSourceStreamsInBoundedMemory() throws Exception {
        Path big = dir.resolve("big.raw");
        try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(1L << 40);
        }
        for (long off : new long[] {0, 1L << 30, 700L << 30, (1L << 40) - (1L << 20)}) {
            Content.writeRandomAt(big, off, 256 * 1024, off);
        }
        for (String opts : List.of("", "-c")) {
            String tag = "big" + opts.replace("-", "_");
            ProcResult file = Qimg.subprocess(dir, convertArgs("big.raw", opts, "file-" + tag).toArray(String[]::new));
            assertThat(file.exitCode()).as(file.describe()).isZero();
            ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; /usr/bin/time -f %M -o rss-" + tag
                    + " " + launcher(convertArgs("big.raw", opts, "-").toArray(String[]::new)) + " | cat > pipe-" + tag);
            assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
            assertThat(Digests.md5(dir.resolve("pipe-" + tag))).isEqualTo(Digests.md5(dir.resolve("file-" + tag)));
            long rssKib = Long.parseLong(Files.readString(dir.resolve("rss-" + tag)).trim());
            assertThat(rssKib).as("peak RSS (KiB) streaming a 1 TiB sparse image").isLessThan(300 * 1024);
            ProcResult check = qemu.imgResult("check", "pipe-" + tag);
            assertThat(check.exitCode()).as(check.describe()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("earlyClose")
    void readerClosingThePipeEarlyIsAOneLineErrorAndLeavesNoTemporaryFile(String src, String opts) throws Exception {
        Path tmp = dir.resolve("tmp");
        ProcResult r = Proc.run(dir, "bash", "-c", "TMPDIR=" + tmp + " "
                + launcher(convertArgs(src, opts, "-").toArray(String[]::new))
                + " | head -c 1000 > /dev/null; exit ${PIPESTATUS[0]}");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
        assertThat(r.stderr()).startsWith("qimg: error while writing to standard output at byte ")
                .contains("Broken pipe").doesNotContain("Exception");
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).isEmpty();
        }
    }

    static Stream<Arguments> earlyClose() {
        return Stream.of(Arguments.of("mixed.raw", ""), Arguments.of("mixed.raw", "-c"),
                Arguments.of("mixed.raw.xz", "-c"));
    }

    /** Raw goes out in one pass, holes as zeros, without a temporary file, from a file or an xz stream. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mixed.raw", "mixed.raw.xz", "mixed.qcow2"})
    void rawStreamsInOnePassWithoutATemporaryFile(String src) throws Exception {
        String out = "raw-of-" + src;
        ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; TMPDIR=/nonexistent "
                + launcher("convert", "-O", "raw", src, "-") + " | cat > " + out);
        assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
        assertThat(pipe.stderr()).isEmpty();
        assertThat(Files.mismatch(dir.resolve(out), dir.resolve("mixed.raw"))).isEqualTo(-1L);
    }

    /** qcow2 from raw inside xz, decoded as a stream once, still goes through a temporary copy. */
    @Test
    void sequentialSourceStillGoesThroughATemporaryCopy() {
        ProcResult file = Qimg.subprocess(dir, "convert", "-O", "qcow2", "-c", "mixed.raw", "file-seq");
        assertThat(file.exitCode()).as(file.describe()).isZero();
        ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; "
                + launcher("convert", "-O", "qcow2", "-c", "mixed.raw.xz", "-") + " | cat > pipe-seq");
        assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
        assertThat(Digests.md5(dir.resolve("pipe-seq"))).isEqualTo(Digests.md5(dir.resolve("file-seq")));
        ProcResult noTmp = Proc.run(dir, "bash", "-c", "TMPDIR=/nonexistent "
                + launcher("convert", "-O", "qcow2", "-c", "mixed.raw.xz", "-") + " > /dev/null");
        assertThat(noTmp.exitCode()).as(noTmp.describe()).isEqualTo(1);
        assertThat(noTmp.stderr()).contains("Could not create a temporary file in /nonexistent");
    }
}
