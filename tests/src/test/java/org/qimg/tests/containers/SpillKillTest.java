package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.TempFiles;

/**
 * Issue 13: the temporary decompressed copy of a qcow2 inside a gzip file (gzip cannot be read at random)
 * leaves nothing behind when qimg is killed with SIGKILL while writing it: the copy has no name
 * ({@code O_TMPFILE}), or, where the file system has no unnamed files (forced here with
 * {@code -Dqimg.tempfile.named=true}), its name is removed as soon as it is open. The kill is aimed at the
 * moment the process holds the copy open (seen in {@code /proc/PID/fd}), not at a time.
 */
class SpillKillTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void image() {
        Qemu.assumeInstalled();
        // 256 MiB of allocated clusters: a copy that takes a while to write
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "preallocation=full", "big.qcow2", "256M");
        Proc.ok(dir, "bash", "-c", "gzip -1 -c big.qcow2 > big.qcow2.gz && rm big.qcow2");
    }

    @ParameterizedTest(name = "named fallback: {0}")
    @ValueSource(booleans = {false, true})
    void sigkillWhileDecompressingLeavesNoTemporaryFile(boolean named) throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp-" + named));
        List<String> cmd = new ArrayList<>(List.of("env", "TMPDIR=" + tmp));
        List<String> qimg = new ArrayList<>(Qimg.command("convert", "-O", "raw", "big.qcow2.gz", "out.raw"));
        if (named) {
            qimg.add(1, "-Dqimg.tempfile.named=true");
        }
        cmd.addAll(qimg);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            List<Path> open = List.of();
            while (p.isAlive() && System.nanoTime() < deadline) {
                open = TempFiles.openBy(p.pid(), tmp, "none");
                if (!open.isEmpty()) {
                    break;
                }
                Thread.onSpinWait();
            }
            // openBy matches only files of TMPDIR that have no name any more (" (deleted)" in /proc/PID/fd): the
            // copy is found only if it is unnamed. (Reading the link again here would race with qimg closing the
            // descriptor and reusing its number for another file.)
            assertThat(open).as("the copy, held open by the running qimg, without a name").isNotEmpty();
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.toList()).as("files left in TMPDIR").isEmpty();
        }
        assertThat(dir.resolve("out.raw")).as("no DST").doesNotExist();
    }
}
