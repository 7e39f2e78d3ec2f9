package org.qimg.tests.locks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Holder;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * The acceptance: a running QEMU ({@code qemu-system-x86_64 -drive file=IMG}, paused, no guest) holding
 * an image makes qimg's writers refuse before writing anything, and qimg's readers behave as qemu-img's, with
 * and without {@code -U}: same exit codes, same messages. Skipped when qemu-system-x86_64 is not installed.
 */
@SuppressWarnings("try") // locks and holders are try resources held for a block, not used in it
class QemuSystemLocksTest {
    private static final long MIB = 1 << 20;
    private static Path dir;
    private static Qemu qemu;
    private static Path srcRaw;
    private static Path src;

    @BeforeAll
    static void images() {
        Qemu.assumeInstalled();
        Holder.assumeQemuSystem();
        dir = Scratch.dir("locks-system");
        qemu = new Qemu(dir);
        srcRaw = dir.resolve("src.raw");
        Content.writeMixed(srcRaw, 4 * MIB, 11);
        src = dir.resolve("src.qcow2");
        qemu.img("convert", "-f", "raw", "-O", "qcow2", srcRaw.toString(), src.toString());
    }

    @Test
    void aRunningQemuHoldsItsQcow2Disk() {
        Path img = dir.resolve("vm.qcow2");
        qemu.img("convert", "-O", "qcow2", src.toString(), img.toString());
        String before = Digests.sha256(img);
        String i = img.toString();
        try (Holder vm = Holder.qemuSystem(dir, img, "qcow2")) {
            assertThat(Holder.lockedBytes(img)).containsExactly(100L, 101L, 103L, 201L, 203L);
            ProcResult inPlace = Locks.assertSameAsQemuImg(qemu, "convert", "-n", "-O", "qcow2", src.toString(), i);
            assertThat(inPlace.stderrLines()).containsExactly(
                    "qimg: Could not open '" + i + "': Failed to get \"write\" lock",
                    "Is another process using the image [" + i + "]?");
            ProcResult repair = Locks.assertSameAsQemuImg(qemu, "check", "-r", "all", i);
            assertThat(repair.exitCode()).isEqualTo(1);
            Locks.assertSameAsQemuImg(qemu, "check", "-r", "leaks", i);
            Locks.assertSameAsQemuImg(qemu, "convert", "-O", "qcow2", src.toString(), i);
            ProcResult info = Locks.assertSameAsQemuImg(qemu, "info", i);
            assertThat(info.stderrLines()).containsExactly(
                    "qimg: Could not open '" + i + "': Failed to get shared \"write\" lock",
                    "Is another process using the image [" + i + "]?");
            assertThat(Locks.assertSameAsQemuImg(qemu, "info", "-U", "--output=json", i).exitCode()).isZero();
            Locks.assertSameAsQemuImg(qemu, "check", i);
            Locks.assertSameAsQemuImg(qemu, "map", i);
            // the real launcher prints the same two lines and exits 1
            ProcResult launched = Qimg.subprocess(dir, "check", "-r", "all", i);
            assertThat(launched.exitCode()).isEqualTo(1);
            assertThat(launched.stderr()).isEqualTo(repair.stderr());
            assertThat(vm.isAlive()).isTrue();
        }
        assertThat(Digests.sha256(img)).isEqualTo(before);
    }

    @Test
    void aRunningQemuHoldsItsRawDiskAsQemuImgSeesIt() {
        Path img = dir.resolve("vm.raw");
        qemu.img("convert", "-O", "raw", src.toString(), img.toString());
        Path overlay = dir.resolve("vm-overlay.qcow2");
        qemu.img("create", "-f", "qcow2", "-b", img.getFileName().toString(), "-F", "raw", overlay.toString());
        String before = Digests.sha256(img);
        String i = img.toString();
        String out = dir.resolve("vm.out").toString();
        try (Holder vm = Holder.qemuSystem(dir, img, "raw")) {
            assertThat(Holder.lockedBytes(img)).containsExactly(100L, 101L, 201L);
            // raw passes the reader's permissions through: info and map share with a writer, as qemu-img's do
            assertThat(Locks.assertSameAsQemuImg(qemu, "info", "-f", "raw", i).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "map", "-f", "raw", i).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "convert", "-f", "raw", "-O", "raw", i, out).exitCode())
                    .isEqualTo(1);
            assertThat(Locks.assertSameAsQemuImg(qemu, "convert", "-n", "-O", "raw", srcRaw.toString(), i).exitCode())
                    .isEqualTo(1);
            Locks.assertSameAsQemuImg(qemu, "convert", "-O", "raw", srcRaw.toString(), i);
            assertThat(Locks.assertSameAsQemuImg(qemu, "map", overlay.toString()).exitCode()).isZero();
            ProcResult chain = Locks.assertSameAsQemuImg(qemu, "convert", "-O", "raw", overlay.toString(), out);
            assertThat(chain.stderrLines()).first().isEqualTo(
                    "qimg: Could not open '" + overlay + "': Failed to get shared \"write\" lock");
            assertThat(Locks.assertSameAsQemuImg(qemu, "convert", "-U", "-O", "raw", overlay.toString(), out)
                    .exitCode()).isZero();
        }
        assertThat(Digests.sha256(img)).isEqualTo(before);
    }
}
