package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.raw.HostFiles;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.Qimg;

/**
 * A convert that dies mid-way never leaves a file at DST; SIGTERM also removes its temporary file. Raw and
 * compressed qcow2 targets.
 */
class KillTest {
    @TempDir
    Path dir;

    /** Whether the temporary file has grown enough that the convert is surely writing. */
    private interface Grown {
        boolean test(Path temporary) throws IOException;
    }

    @Test
    void sigkillLeavesNoDestination() throws Exception {
        // a long convert: 2 GiB with -S 0 (every zero is written), killed once it has allocated 4 MiB
        Proc.ok(dir, "truncate", "-s", "2G", "src.raw");
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", "src.raw");
        assertKillsLeaveNothing("dst.raw", t -> HostFiles.allocatedBytes(t) > (4 << 20),
                "convert", "-m", "1", "-S", "0", "-O", "raw", "src.raw", "dst.raw");
    }

    @Test
    void killedCompressedConvertLeavesNoDestination() throws Exception {
        // a slow compressed convert: 64 MiB of incompressible data, 512-byte clusters, one thread, killed once
        // its temporary file has grown past 1 MiB
        Random r = new Random(99);
        byte[] b = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(dir.resolve("src.raw"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < 64; i++) {
                r.nextBytes(b);
                ch.write(ByteBuffer.wrap(b));
            }
        }
        assertKillsLeaveNothing("dst.qcow2", t -> Files.size(t) > (1 << 20),
                "convert", "-c", "-m", "1", "-O", "qcow2", "-o", "cluster_size=512", "src.raw", "dst.qcow2");
    }

    /** SIGKILL leaves no DST (the temporary file may stay); SIGTERM leaves neither and exits non-zero. */
    private void assertKillsLeaveNothing(String dst, Grown grown, String... args) throws Exception {
        Process p = startWriting(dst, grown, args);
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(dir.resolve(dst)).doesNotExist();
        Files.deleteIfExists(tempFile(dst).orElse(dir.resolve("none")));

        Process q = startWriting(dst, grown, args);
        q.destroy(); // SIGTERM: the shutdown hook deletes the temporary file
        assertThat(q.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isNotZero();
        assertThat(dir.resolve(dst)).doesNotExist();
        assertThat(tempFile(dst)).isEmpty();
    }

    private Optional<Path> tempFile(String dst) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + dst + ".qimg-")).findFirst();
        }
    }

    /** Starts {@code qimg ARGS} as a process and waits until its temporary file has {@code grown}. */
    private Process startWriting(String dst, Grown grown, String... args) throws Exception {
        Process p = new ProcessBuilder(Qimg.command(args)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Optional<Path> t = tempFile(dst);
            if (t.isPresent() && grown.test(t.get())) {
                return p;
            }
            if (!p.isAlive()) {
                throw new AssertionError("convert ended before it could be killed: "
                        + Files.readString(dir.resolve("log.txt")));
            }
            Thread.sleep(5);
        }
        p.destroyForcibly();
        throw new AssertionError("convert never started writing");
    }
}
