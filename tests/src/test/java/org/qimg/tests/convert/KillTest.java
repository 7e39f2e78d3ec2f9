package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.raw.HostFiles;

/** A convert that dies mid-way never leaves a file at DST; SIGTERM also removes its temporary file. */
class KillTest {
    @TempDir
    Path dir;

    private Optional<Path> tempFile() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".dst.raw.qimg-")).findFirst();
        }
    }

    /** Starts a long convert (2 GiB with -S 0: every zero is written) and waits until it is writing. */
    private Process startWriting() throws Exception {
        Path src = dir.resolve("src.raw");
        if (!Files.exists(src)) {
            Tools.ok(dir, "truncate", "-s", "2G", "src.raw");
            Tools.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", "src.raw");
        }
        Process p = Tools.qimgProcess(dir, "convert", "-m", "1", "-S", "0", "-O", "raw", "src.raw", "dst.raw")
                .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Optional<Path> t = tempFile();
            if (t.isPresent() && HostFiles.allocatedBytes(t.get()) > (4 << 20)) {
                return p;
            }
            if (!p.isAlive()) {
                throw new AssertionError("convert ended before it could be killed: " + Files.readString(dir.resolve("log.txt")));
            }
            Thread.sleep(5);
        }
        p.destroyForcibly();
        throw new AssertionError("convert never started writing");
    }

    @Test
    void sigkillLeavesNoDestination() throws Exception {
        Process p = startWriting();
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(dir.resolve("dst.raw")).doesNotExist();
        Files.deleteIfExists(tempFile().orElse(dir.resolve("none")));

        Process q = startWriting();
        q.destroy(); // SIGTERM: the shutdown hook deletes the temporary file
        assertThat(q.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isNotZero();
        assertThat(dir.resolve("dst.raw")).doesNotExist();
        assertThat(tempFile()).isEmpty();
    }
}
