package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/** {@code convert --verify} with several sources, and {@code -n} into an existing qcow2 target. */
class ConvertVerifyCliTest {
    @TempDir
    Path dir;

    @BeforeEach
    void sources() throws Exception {
        Proc.ok(dir, "truncate", "-s", "1049088", "a.raw"); // 1 MiB + 512
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x41 4k 100k", "-c", "write -P 0x42 1M 512", "a.raw");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "b.qcow2", "640k");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x43 0 64k", "-c", "write -z 64k 64k",
                "-c", "write -P 0x44 300k 5k", "b.qcow2");
    }

    @Test
    void verifyComparesAgainstTheConcatenation() throws Exception {
        for (String[] target : new String[][] {{"qcow2", "out.qcow2"}, {"raw", "out.raw"}}) {
            ProcResult r = Qimg.inProcess("convert", "--verify", "-O", target[0], dir.resolve("a.raw").toString(),
                    dir.resolve("b.qcow2").toString(), dir.resolve(target[1]).toString());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            Proc.ok(dir, "qemu-img", "convert", "-O", "raw", "a.raw", "b.qcow2", "joined.raw");
            Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", target[0], "joined.raw", target[1]);
        }
    }

    @Test
    void noCreateIntoQcow2WritesInPlaceAndVerifies() throws Exception {
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "existing.qcow2", "1049088");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x55 0 1M", "existing.qcow2");
        ProcResult r = Qimg.inProcess("convert", "-n", "--verify", "-O", "qcow2", dir.resolve("a.raw").toString(),
                dir.resolve("existing.qcow2").toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Proc.ok(dir, "qemu-img", "check", "existing.qcow2");
        Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", "a.raw", "existing.qcow2");
    }
}
