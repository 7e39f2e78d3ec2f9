package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Issue 13: {@code -} as DST writes the image to stdout, through a pipe, with the real launcher:
 * {@code qimg convert -O qcow2 [-c] SRC - | cat > f.qcow2} gives the bytes qimg writes to a file with the
 * same options (md5), which {@code qemu-img check} finds clean and {@code qemu-img compare} identical to the
 * source; raw goes out as a plain stream (holes as zeros). A reader that closes the pipe early ends qimg
 * with one line naming the broken pipe and a non-zero exit, never a stack trace.
 */
class StdoutTest {
    private static Path dir;
    private static Qemu qemu;

    @BeforeAll
    static void files() {
        dir = ContainerFiles.dir();
        qemu = new Qemu(dir);
    }

    private static String launcher(String... args) {
        return Qimg.command(args).stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
    }

    @ParameterizedTest(name = "{0} to stdout")
    @ValueSource(strings = {"raw", "qcow2", "qcow2 -c", "qcow2 -c -o compression_type=zstd"})
    void pipedImageEqualsTheFileQimgWrites(String target) {
        List<String> opts = List.of(("-O " + target).split(" "));
        String src = ContainerFiles.RAW + ".xz";
        String tag = target.replaceAll("[^a-z0-9]", "_");
        String[] toFile = concat(opts, src, "file-" + tag);
        String[] toPipe = concat(opts, src, "-");
        ProcResult file = Qimg.subprocess(dir, toFile);
        assertThat(file.exitCode()).as(file.describe()).isZero();
        ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; " + launcher(toPipe) + " | cat > pipe-" + tag);
        assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
        assertThat(pipe.stderr()).isEmpty();
        assertThat(Digests.md5(dir.resolve("pipe-" + tag))).isEqualTo(Digests.md5(dir.resolve("file-" + tag)));
        String fmt = target.split(" ")[0];
        if (fmt.equals("qcow2")) {
            assertThat(qemu.imgResult("check", "pipe-" + tag).exitCode()).isZero();
        }
        ProcResult cmp = qemu.imgResult("compare", "-f", "raw", "-F", fmt, ContainerFiles.RAW, "pipe-" + tag);
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }

    @Test
    void rawStreamIsTheWholeDiskWithHolesAsZeros() throws Exception {
        ProcResult pipe = Proc.run(dir, "bash", "-c", "set -o pipefail; " + launcher("convert", "-O", "raw",
                ContainerFiles.QCOW2, "-") + " | cat > stream.raw");
        assertThat(pipe.exitCode()).as(pipe.describe()).isZero();
        assertThat(Files.mismatch(dir.resolve("stream.raw"), dir.resolve(ContainerFiles.RAW))).isEqualTo(-1L);
    }

    @Test
    void readerClosingThePipeEarlyIsAOneLineError() {
        ProcResult r = Proc.run(dir, "bash", "-c", launcher("convert", "-O", "raw", ContainerFiles.RAW + ".zst", "-")
                + " | head -c 1000 > /dev/null; exit ${PIPESTATUS[0]}");
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
        assertThat(r.stderr()).startsWith("qimg: ").contains("standard output").contains("Broken pipe");
        assertThat(r.stderr()).doesNotContain("Exception");
    }

    private static String[] concat(List<String> opts, String src, String dst) {
        List<String> a = new java.util.ArrayList<>(List.of("convert"));
        a.addAll(opts);
        a.add(src);
        a.add(dst);
        return a.toArray(String[]::new);
    }
}
