package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.raw.HostFiles;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.TempFiles;

/**
 * A convert that dies mid-way never leaves a file at DST, nor a temporary file (it has no name while it is
 * written); SIGTERM exits non-zero. Raw and compressed qcow2 targets.
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

    /**
     * SIGKILL at random points of a convert over an existing DST (writing, fsync, rename): DST is always a
     * whole file, the old one byte for byte unless the kill came after the rename. The temporary file has no
     * name until just before the rename; a kill in between leaves the hidden name, which the next run removes.
     */
    @Test
    void sigkillAtRandomPointsKeepsTheOldDestinationWhole() throws Exception {
        randomKills(false);
    }

    /**
     * The same with a named temporary file (file systems without O_TMPFILE): kills leave hidden files, and
     * the next run for the same DST removes them (their flock died with their process).
     */
    @Test
    void hiddenFilesOfKilledRunsAreRemovedByTheNextRun() throws Exception {
        randomKills(true);
    }

    private void randomKills(boolean named) throws Exception {
        Random r = new Random(2026);
        byte[] b = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(dir.resolve("src.raw"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < 48; i++) {
                r.nextBytes(b);
                ch.write(ByteBuffer.wrap(b));
            }
        }
        byte[] old = new byte[1 << 20];
        r.nextBytes(old);
        List<String> args = new ArrayList<>(Qimg.command("convert", "-m", "1", "-O", "qcow2", "src.raw", "dst.qcow2"));
        if (named) {
            args.add(1, "-Dqimg.tempfile.named=true");
        }
        Proc.ok(dir, args.toArray(String[]::new));
        byte[] complete = Files.readAllBytes(dir.resolve("dst.qcow2"));
        Files.write(dir.resolve("dst.qcow2"), old);

        // each kill is aimed at a point of the run's progress, not of time (the machine's load varies): once
        // the temporary file has grown to a random size up to 110% of the result's, or has gone (sealed,
        // renamed) before that
        int tries = 25;
        int oldKept = 0;
        int replaced = 0;
        int finished = 0;
        int whileWriting = 0;
        Set<Path> leftovers = new HashSet<>();
        for (int i = 0; i < tries; i++) {
            Process p = startRun(args);
            awaitTempFile(p);
            long aim = (long) (r.nextDouble() * 1.1 * complete.length);
            while (p.isAlive() && grownTo(p, aim) == Boolean.FALSE) {
                Thread.onSpinWait();
            }
            boolean alive = p.isAlive();
            if (!TempFiles.openBy(p.pid(), dir, "dst.qcow2").isEmpty()) {
                whileWriting++;
            }
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            byte[] now = Files.readAllBytes(dir.resolve("dst.qcow2"));
            if (Arrays.equals(now, old)) {
                oldKept++;
            } else {
                assertThat(now).as("try %d: DST is the old file or the complete new one", i).isEqualTo(complete);
                if (alive) {
                    replaced++;
                } else {
                    finished++;
                }
                Files.write(dir.resolve("dst.qcow2"), old);
            }
            List<Path> left = TempFiles.hidden(dir, "dst.qcow2");
            leftovers.addAll(left);
            assertThat(left.size()).as("the runs after a kill removed the files it left").isLessThanOrEqualTo(1);
        }
        System.out.printf("KillTest (%s temporary file): %d SIGKILLs: %d while the temporary file was open; old DST"
                + " kept %d, killed after the rename %d, finished before the kill %d; hidden temporary files seen"
                + " after kills: %d%n", named ? "named" : "unnamed", tries, whileWriting, oldKept, replaced,
                finished, leftovers.size());
        assertThat(whileWriting).as("kills that hit the writing").isGreaterThanOrEqualTo(tries / 3);
        Proc.ok(dir, args.toArray(String[]::new)); // the next run cleans what a kill left
        assertThat(TempFiles.hidden(dir, "dst.qcow2")).isEmpty();
        assertThat(Files.readAllBytes(dir.resolve("dst.qcow2"))).isEqualTo(complete);
    }

    private Process startRun(List<String> command) throws IOException {
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile()).start();
    }

    /**
     * Whether {@code p}'s temporary file has reached {@code size} bytes; null once it has none open (sealed,
     * renamed, or exited).
     */
    private Boolean grownTo(Process p, long size) {
        List<Path> open = TempFiles.openBy(p.pid(), dir, "dst.qcow2");
        if (open.isEmpty()) {
            return null;
        }
        for (Path t : open) {
            try {
                if (Files.size(t) >= size) {
                    return true;
                }
            } catch (IOException e) {
                return null;
            }
        }
        return false;
    }

    /** Waits until {@code p} has its temporary file open (or has ended); returns System.nanoTime() then. */
    private long awaitTempFile(Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.isAlive() && TempFiles.openBy(p.pid(), dir, "dst.qcow2").isEmpty()) {
            assertThat(System.nanoTime()).as("the convert opens its temporary file").isLessThan(deadline);
            Thread.sleep(1);
        }
        return System.nanoTime();
    }

    /** Neither SIGKILL nor SIGTERM leaves a DST or a temporary file; SIGTERM exits non-zero. */
    private void assertKillsLeaveNothing(String dst, Grown grown, String... args) throws Exception {
        Process p = startWriting(dst, grown, args);
        p.destroyForcibly(); // SIGKILL
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(dir.resolve(dst)).doesNotExist();
        assertThat(TempFiles.hidden(dir, dst)).isEmpty();

        Process q = startWriting(dst, grown, args);
        q.destroy(); // SIGTERM: the shutdown hook deletes the temporary file
        assertThat(q.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).isNotZero();
        assertThat(dir.resolve(dst)).doesNotExist();
        assertThat(TempFiles.hidden(dir, dst)).isEmpty();
    }

    /** Starts {@code qimg ARGS} as a process and waits until its temporary file has {@code grown}. */
    private Process startWriting(String dst, Grown grown, String... args) throws Exception {
        Process p = new ProcessBuilder(Qimg.command(args)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (Path t : TempFiles.openBy(p.pid(), dir, dst)) {
                try {
                    if (grown.test(t)) {
                        return p;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
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
