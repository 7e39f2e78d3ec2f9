package org.qimg.tests.inplace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * SIGKILL during {@code convert -n} into a qcow2 image: metadata is written in an order that leaves the image
 * consistent at every point (qemu-img check: clean or leaks only, never corruption), and running the same
 * convert again completes it.
 */
class KillInPlaceTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void killedMidwayLeavesOnlyLeaksAndARerunCompletes() throws Exception {
        Qemu qemu = new Qemu(dir);
        // 512-byte clusters: many L2 tables, refcount blocks and a refcount table that must grow
        Path fill = dir.resolve("fill.raw");
        Content.writeMixed(fill, 32 * MIB, 5);
        Path target = dir.resolve("t.qcow2");
        qemu.img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=512,refcount_bits=64",
                fill.toString(), target.toString());
        Path src = dir.resolve("src.raw");
        Content.writeMixed(src, 32 * MIB, 6);
        long start = Files.size(target);
        List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-jar", Qimg.jar().toString(), "convert", "-n", "-m", "1", "-S", "0",
                "-f", "raw", "-O", "qcow2", src.toString(), target.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean killed = false;
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.size(target) > start + 2 * MIB) {
                p.destroyForcibly();
                killed = true;
                break;
            }
            Thread.sleep(2);
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(killed).as("the convert was killed while writing: " + Files.readString(dir.resolve("log.txt")))
                .isTrue();
        ProcResult check = qemu.imgResult("check", target.toString());
        assertThat(check.exitCode()).as(check.describe()).isIn(0, 3);

        ProcResult again = Qimg.inProcess("convert", "-n", "-S", "0", "-f", "raw", "-O", "qcow2", src.toString(),
                target.toString());
        assertThat(again.exitCode()).as(again.describe()).isZero();
        check = qemu.imgResult("check", target.toString());
        assertThat(check.exitCode()).as(check.describe()).isIn(0, 3);
        ProcResult cmp = qemu.imgResult("compare", "-f", "raw", "-F", "qcow2", src.toString(), target.toString());
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }
}
