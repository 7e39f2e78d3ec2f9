package org.qimg.tests.locks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Holder;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;

/**
 * QEMU's image locks between qimg and qemu-io: with an interactive qemu-io holding an image (read-write,
 * read-only, or read-only with -U), every qimg command must succeed or refuse exactly as qemu-img does in the
 * same situation (exit code and stderr, "qimg: " for "qemu-img: "), and a refused writer must leave the image
 * untouched; and qemu-io must see the locks qimg holds.
 */
@SuppressWarnings("try") // locks and holders are try resources held for a block, not used in it
class QemuIoLocksTest {
    private static final long MIB = 1 << 20;
    private static Path dir;
    private static Qemu qemu;
    private static Path src;
    private static Path other;

    @BeforeAll
    static void images() {
        Qemu.assumeInstalled();
        dir = org.qimg.tests.support.Scratch.dir("locks-io");
        qemu = new Qemu(dir);
        Path raw = dir.resolve("src.raw");
        Content.writeMixed(raw, 4 * MIB, 3);
        src = dir.resolve("src.qcow2");
        qemu.img("convert", "-f", "raw", "-O", "qcow2", raw.toString(), src.toString());
        other = dir.resolve("other.qcow2");
        qemu.img("create", "-f", "qcow2", other.toString(), "4M");
    }

    /** A fresh 4 MiB qcow2 copy of the source, so that a command that wrongly writes cannot spoil another test. */
    private static Path image(String name) {
        Path p = dir.resolve(name + ".qcow2");
        qemu.img("convert", "-O", "qcow2", src.toString(), p.toString());
        return p;
    }

    @Test
    void aReadWriteQemuIoMakesEveryReaderRefuseUnlessForceShare() {
        Path img = image("rw-held");
        try (Holder h = Holder.qemuIo(dir, img, "qcow2")) {
            assertThat(Holder.lockedBytes(img)).containsExactly(100L, 101L, 103L, 201L, 203L);
            String i = img.toString();
            String out = dir.resolve("rw-held.out").toString();
            ProcResult info = Locks.assertSameAsQemuImg(qemu, "info", i);
            assertThat(info.exitCode()).isEqualTo(1);
            assertThat(info.stderrLines()).containsExactly(
                    "qimg: Could not open '" + i + "': Failed to get shared \"write\" lock",
                    "Is another process using the image [" + i + "]?");
            assertThat(Locks.assertSameAsQemuImg(qemu, "info", "-U", i).exitCode()).isZero();
            Locks.assertSameAsQemuImg(qemu, "map", "--output=json", i);
            assertThat(Locks.assertSameAsQemuImg(qemu, "map", "-U", "--output=json", i).exitCode()).isZero();
            Locks.assertSameAsQemuImg(qemu, "check", i);
            assertThat(Locks.assertSameAsQemuImg(qemu, "check", "-U", i).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "compare", i, other.toString()).exitCode()).isEqualTo(2);
            assertThat(Locks.assertSameAsQemuImg(qemu, "compare", "-U", i, other.toString()).exitCode()).isEqualTo(1);
            Locks.assertSameAsQemuImg(qemu, "measure", "-O", "qcow2", i);
            Locks.assertSameAsQemuImg(qemu, "convert", "-O", "raw", i, out);
            assertThat(Locks.assertSameAsQemuImg(qemu, "convert", "-U", "-O", "raw", i, out).exitCode()).isZero();
            assertThat(h.isAlive()).isTrue();
        }
    }

    @Test
    void aReadOnlyQemuIoMakesEveryWriterRefuseAndNothingIsWritten() {
        Path img = image("ro-held");
        String before = Digests.sha256(img);
        try (Holder h = Holder.qemuIo(dir, img, "qcow2", "-r")) {
            assertThat(Holder.lockedBytes(img)).containsExactly(100L, 201L, 203L);
            String i = img.toString();
            ProcResult repair = Locks.assertSameAsQemuImg(qemu, "check", "-r", "all", i);
            assertThat(repair.stderrLines()).containsExactly(
                    "qimg: Could not open '" + i + "': Failed to get \"write\" lock",
                    "Is another process using the image [" + i + "]?");
            Locks.assertSameAsQemuImg(qemu, "check", "-r", "leaks", i);
            Locks.assertSameAsQemuImg(qemu, "convert", "-n", "-O", "qcow2", src.toString(), i);
            ProcResult create = Locks.assertSameAsQemuImg(qemu, "convert", "-O", "qcow2", src.toString(), i);
            assertThat(create.stderrLines()).first().isEqualTo(
                    "qimg: " + i + ": error while converting qcow2: Failed to get \"write\" lock");
            Locks.assertSameAsQemuImg(qemu, "convert", "-O", "raw", src.toString(), i);
            ProcResult recreate = Locks.assertSameAsQemuImg(qemu, "create", "-f", "qcow2", i, "4M");
            assertThat(recreate.stderrLines()).first().isEqualTo("qimg: " + i + ": Failed to get \"write\" lock");
            Locks.assertSameAsQemuImg(qemu, "create", "-f", "raw", i, "4M");
            // readers share with a reader
            assertThat(Locks.assertSameAsQemuImg(qemu, "info", i).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "map", i).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "check", i).exitCode()).isZero();
        }
        assertThat(Digests.sha256(img)).isEqualTo(before);
    }

    @Test
    void aForceSharedReaderDoesNotStopWriters() {
        Path img = image("u-held");
        try (Holder h = Holder.qemuIo(dir, img, "qcow2", "-r", "-U")) {
            assertThat(Holder.lockedBytes(img)).containsExactly(100L);
            String i = img.toString();
            assertThat(Locks.assertSameAsQemuImg(qemu, "check", "-r", "all", i).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "convert", "-n", "-O", "qcow2", src.toString(), i)
                    .exitCode()).isZero();
        }
    }

    @Test
    void aWriterOfTheBackingFileStopsReadersOfTheOverlay() {
        Path base = image("base-held");
        Path overlay = dir.resolve("over-held.qcow2");
        qemu.img("create", "-f", "qcow2", "-b", base.getFileName().toString(), "-F", "qcow2", overlay.toString());
        try (Holder h = Holder.qemuIo(dir, base, "qcow2")) {
            String o = overlay.toString();
            ProcResult map = Locks.assertSameAsQemuImg(qemu, "map", o);
            assertThat(map.stderrLines()).containsExactly(
                    "qimg: Could not open '" + o + "': Could not open backing file: Failed to get shared \"write\" lock",
                    "Is another process using the image [" + base + "]?");
            Locks.assertSameAsQemuImg(qemu, "check", o);
            Locks.assertSameAsQemuImg(qemu, "check", "-r", "all", o);
            Locks.assertSameAsQemuImg(qemu, "convert", "-O", "raw", o, dir.resolve("over.out").toString());
            assertThat(Locks.assertSameAsQemuImg(qemu, "info", o).exitCode()).isZero();
            assertThat(Locks.assertSameAsQemuImg(qemu, "info", "--backing-chain", o).exitCode()).isEqualTo(1);
            assertThat(Locks.assertSameAsQemuImg(qemu, "map", "-U", o).exitCode()).isZero();
        }
    }

    @Test
    void anImageQimgHasOpenRefusesQemuIoWriters() throws Exception {
        Path img = image("qimg-reads");
        try (DiskImage open = ImageFormats.open(img, "qcow2")) {
            assertThat(Holder.lockedBytes(img)).containsExactly(100L, 201L, 203L);
            ProcResult write = Proc.run(dir, List.of(Qemu.QEMU_IO, "-f", "qcow2", "-c", "write 0 512", img.toString()));
            assertThat(write.exitCode()).isEqualTo(1);
            assertThat(write.stderrLines()).containsExactly(
                    "qemu-io: can't open device " + img + ": Failed to get \"write\" lock",
                    "Is another process using the image [" + img + "]?");
            Proc.run(dir, List.of(Qemu.QEMU_IO, "-r", "-f", "qcow2", "-c", "read 0 512", img.toString()))
                    .requireSuccess();
        }
        assertThat(Holder.lockedBytes(img)).isEmpty();
        qemu.io(img, "qcow2", "write 0 512");
    }

    @Test
    void aQimgConvertIntoAnImageHoldsItAgainstQemuIo() throws Exception {
        Path img = image("qimg-writes");
        Path noise = dir.resolve("noise.raw");
        byte[] b = new byte[4 << 20];
        java.util.Random r = new java.util.Random(5);
        try (java.io.OutputStream o = java.nio.file.Files.newOutputStream(noise)) {
            for (int i = 0; i < 8; i++) {
                r.nextBytes(b);
                o.write(b);
            }
        }
        qemu.img("resize", img.toString(), "32M");
        // compressing 32 MiB of noise on one thread takes seconds: the convert is stopped once it holds IMG
        List<String> convert = org.qimg.tests.support.Qimg.command("convert", "-n", "-c", "-m", "1", "-O", "qcow2",
                noise.toString(), img.toString());
        try (Holder h = Holder.start(dir, img, convert)) {
            h.signal("STOP");
            assertThat(Holder.lockedBytes(img)).containsExactly(100L, 101L, 103L, 201L, 203L);
            ProcResult write = Proc.run(dir, List.of(Qemu.QEMU_IO, "-f", "qcow2", "-c", "write 0 512", img.toString()));
            assertThat(write.exitCode()).isEqualTo(1);
            assertThat(write.stderrLines()).containsExactly(
                    "qemu-io: can't open device " + img + ": Failed to get \"write\" lock",
                    "Is another process using the image [" + img + "]?");
            ProcResult read = Proc.run(dir, List.of(Qemu.QEMU_IO, "-r", "-f", "qcow2", "-c", "read 0 512",
                    img.toString()));
            assertThat(read.stderrLines()).first().isEqualTo(
                    "qemu-io: can't open device " + img + ": Failed to get shared \"write\" lock");
            assertThat(qemu.imgResult("info", img.toString()).exitCode()).isEqualTo(1);
            assertThat(qemu.imgResult("info", "-U", img.toString()).exitCode()).isZero();
            h.signal("CONT");
        }
        assertThat(Holder.lockedBytes(img)).isEmpty();
    }
}
