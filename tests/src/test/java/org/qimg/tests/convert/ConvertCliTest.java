package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/** qimg convert against qemu-img convert, through the command line. */
class ConvertCliTest {
    @TempDir
    Path dir;

    @BeforeEach
    void sourceWithHoles() throws Exception {
        // 4 MiB sparse raw: data at 64k (128k), real zero bytes at 1M (64k), data at 3M (4k), and a tail that
        // is not cluster aligned (length 4 MiB + 1536 bytes).
        Proc.ok(dir, "truncate", "-s", "4195840", "holes.raw");
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x11 64k 128k", "-c", "write -P 0 1M 64k",
                "-c", "write -P 0x22 3M 4k", "-c", "write -P 0x33 4194816 512", "holes.raw");
    }

    private void assertSameBytes(Path a, Path b) throws Exception {
        assertThat(Files.size(a)).isEqualTo(Files.size(b));
        assertThat(Files.mismatch(a, b)).as("first differing byte").isEqualTo(-1L);
    }

    @Test
    void rawToRawIsByteIdenticalToQemuImg() throws Exception {
        Proc.ok(dir, "qemu-img", "convert", "-f", "raw", "-O", "raw", "holes.raw", "qemu.raw");
        for (String threads : new String[] {"1", "3"}) {
            ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "raw", "-m", threads,
                    dir.resolve("holes.raw").toString(), dir.resolve("qimg.raw").toString());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertSameBytes(dir.resolve("qimg.raw"), dir.resolve("qemu.raw"));
        }
        // holes stay holes: the allocation map equals that of qemu-img's output, except that qemu-img
        // allocates the first 4 KiB of every raw file it creates (for alignment probing)
        assertThat(mapAfter(65536, "qimg.raw")).isEqualTo(mapAfter(65536, "qemu.raw"));
    }

    @Test
    void cacheModesAreQemuImgsAndUnsafeOnlySkipsTheFsync() throws Exception {
        Proc.ok(dir, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", "holes.raw", "qemu.qcow2");
        for (String mode : new String[] {"unsafe", "none", "writeback"}) {
            Path out = dir.resolve("qimg-" + mode + ".qcow2");
            ProcResult r = Qimg.inProcess("convert", "-t", mode, "-T", "none", "-f", "raw", "-O", "qcow2",
                    dir.resolve("holes.raw").toString(), out.toString());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertSameBytes(out, dir.resolve("qemu.qcow2"));
        }
        ProcResult bad = Qimg.inProcess("convert", "-t", "sometimes", "-O", "raw",
                dir.resolve("holes.raw").toString(), dir.resolve("never.raw").toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).isEqualTo("qimg: Invalid cache option: sometimes\n");
        assertThat(dir.resolve("never.raw")).doesNotExist();
    }

    private java.util.List<String> mapAfter(long start, String file) throws Exception {
        String map = Proc.ok(dir, "qemu-img", "map", "--output=json", "-f", "raw", file);
        return map.lines().filter(l -> !l.matches("\\[?\\{ \"start\": (\\d+),.*") || Long.parseLong(
                l.replaceAll("^\\[?\\{ \"start\": (\\d+),.*", "$1")) >= start)
                .map(l -> l.replaceFirst("^\\[", "")).toList();
    }

    @Test
    void sparseZeroAndConcatenationMatchQemuImg() throws Exception {
        Proc.ok(dir, "qemu-img", "convert", "-S", "0", "-O", "raw", "holes.raw", "holes.raw", "qemu2.raw");
        ProcResult r = Qimg.inProcess("convert", "-S", "0", "-O", "raw", dir.resolve("holes.raw").toString(),
                dir.resolve("holes.raw").toString(), dir.resolve("qimg2.raw").toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertSameBytes(dir.resolve("qimg2.raw"), dir.resolve("qemu2.raw"));
    }

    @Test
    void noCreateWritesIntoTheExistingTarget() throws Exception {
        Path target = dir.resolve("existing.raw");
        Files.write(target, new byte[4195840 + 4096]);
        for (int i = 0; i < 4096; i++) {
            // garbage that zero ranges of the source must overwrite
            Files.write(target, new byte[] {(byte) 0xEE}, java.nio.file.StandardOpenOption.WRITE);
        }
        ProcResult r = Qimg.inProcess("convert", "-n", "-O", "raw", dir.resolve("holes.raw").toString(),
                target.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        byte[] got = Files.readAllBytes(target);
        byte[] src = Files.readAllBytes(dir.resolve("holes.raw"));
        assertThat(java.util.Arrays.copyOf(got, src.length)).isEqualTo(src);
    }

    @Test
    void errorsAreOneLineWithExitOneAndNoTrace() throws Exception {
        ProcResult missing = Qimg.inProcess("convert", dir.resolve("nope.raw").toString(),
                dir.resolve("x.raw").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr()).startsWith("qimg: Could not open '").contains("nope.raw")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("x.raw")).doesNotExist();

        Path link = dir.resolve("alias.raw");
        Files.createSymbolicLink(link, dir.resolve("holes.raw"));
        byte[] before = Files.readAllBytes(dir.resolve("holes.raw"));
        ProcResult same = Qimg.inProcess("convert", dir.resolve("holes.raw").toString(), link.toString());
        assertThat(same.exitCode()).isEqualTo(1);
        assertThat(same.stderr()).contains("same file").hasLineCount(1);
        assertThat(Files.readAllBytes(dir.resolve("holes.raw"))).isEqualTo(before);

        ProcResult debug = Qimg.inProcess("convert", "--debug", dir.resolve("holes.raw").toString(), link.toString());
        assertThat(debug.stderr()).contains("\tat ");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void plainProgressLinesWhenStdoutIsNotATerminal() throws Exception {
        // qemu-img's lines, on stdout as qemu-img prints them (tests/cli/ProgressOracleTest compares them)
        ProcResult r = Qimg.inProcess("convert", "-p", dir.resolve("holes.raw").toString(),
                dir.resolve("p.raw").toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).startsWith("    (0.00/100%)\r").endsWith("    (100.00/100%)\r\n")
                .doesNotContain("\u001b");
        assertThat(r.stderr()).isEmpty();
        ProcResult quiet = Qimg.inProcess("convert", "-p", "-q", dir.resolve("holes.raw").toString(),
                dir.resolve("q.raw").toString());
        assertThat(quiet.stdout()).isEmpty();
        assertThat(quiet.stderr()).isEmpty();
    }
}
