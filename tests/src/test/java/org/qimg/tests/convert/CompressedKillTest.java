package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

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

/** A compressed qcow2 convert killed mid-way leaves no file at DST (and SIGTERM no temporary file). */
class CompressedKillTest {
    @TempDir
    Path dir;

    private Optional<Path> tempFile() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".dst.qcow2.qimg-")).findFirst();
        }
    }

    /**
     * Starts a slow compressed convert (64 MiB of incompressible data, 512-byte clusters, one thread) and waits
     * until its temporary file has grown past 1 MiB.
     */
    private Process startWriting() throws Exception {
        Path src = dir.resolve("src.raw");
        if (!Files.exists(src)) {
            Random r = new Random(99);
            byte[] b = new byte[1 << 20];
            try (FileChannel ch = FileChannel.open(src, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int i = 0; i < 64; i++) {
                    r.nextBytes(b);
                    ch.write(ByteBuffer.wrap(b));
                }
            }
        }
        Process p = Tools.qimgProcess(dir, "convert", "-c", "-m", "1", "-O", "qcow2", "-o", "cluster_size=512",
                "src.raw", "dst.qcow2").redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Optional<Path> t = tempFile();
            if (t.isPresent() && Files.size(t.get()) > (1 << 20)) {
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

    @Test
    void killedCompressedConvertLeavesNoDestination() throws Exception {
        Process p = startWriting();
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(dir.resolve("dst.qcow2")).doesNotExist();
        Files.deleteIfExists(tempFile().orElse(dir.resolve("none")));

        Process q = startWriting();
        q.destroy(); // SIGTERM: the shutdown hook deletes the temporary file
        assertThat(q.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isNotZero();
        assertThat(dir.resolve("dst.qcow2")).doesNotExist();
        assertThat(tempFile()).isEmpty();
    }
}
