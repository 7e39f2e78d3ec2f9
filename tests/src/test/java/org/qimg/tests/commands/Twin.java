package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * One image made by qemu-img/qemu-io, copied byte for byte: {@link #a} is handed to qemu-img, {@link #b} to
 * qimg. Command arguments name the image as {@code IMG}; outputs are compared with the two paths replaced by
 * {@code IMG} and qimg's program name by qemu-img's.
 */
final class Twin {
    final Qemu qemu;
    final Path a;
    final Path b;

    private Twin(Qemu qemu, Path a, Path b) {
        this.qemu = qemu;
        this.a = a;
        this.b = b;
    }

    /** A new pair in a fresh scratch directory; {@code make} builds the image at the path it is given. */
    static Twin of(String name, java.util.function.Consumer<Path> make) {
        Path dir = Scratch.dir("commands-" + name);
        Qemu qemu = new Qemu(dir);
        Path a = dir.resolve("qemu.img");
        Path b = dir.resolve("qimg.img");
        make.accept(a);
        try {
            Files.copy(a, b, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Twin(qemu, a, b);
    }

    private static String[] with(Path image, String... args) {
        List<String> out = new ArrayList<>();
        for (String s : args) {
            out.add(s.replace("IMG", image.toString()));
        }
        return out.toArray(new String[0]);
    }

    ProcResult qemuImg(String... args) {
        return qemu.imgResult(with(a, args));
    }

    ProcResult qimg(String... args) {
        return Qimg.inProcess(with(b, args));
    }

    /** Runs {@code args} with both tools and asserts the same exit code, stdout and stderr. */
    void same(String... args) {
        ProcResult q = qemuImg(args);
        ProcResult m = qimg(args);
        assertThat(normal(m.stdout(), b)).as("stdout of %s", m.command()).isEqualTo(normal(q.stdout(), a));
        assertThat(normal(m.stderr(), b)).as("stderr of %s", m.command()).isEqualTo(normal(q.stderr(), a));
        assertThat(m.exitCode()).as("exit code of %s\n%s", m.command(), m.describe()).isEqualTo(q.exitCode());
    }

    static String normal(String s, Path image) {
        return s.replace(image.toString(), "IMG")
                .replaceAll("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}", "YYYY-MM-DD hh:mm:ss").replaceAll("(?m)^qimg: ", "qemu-img: ")
                .replace("Try 'qimg ", "Try 'qemu-img ");
    }

    /** qimg's image passes {@code qemu-img check} and reads as qemu-img's ({@code qemu-img compare}). */
    void checkedAndEqual() {
        ProcResult c = qemu.imgResult("check", b.toString());
        boolean noChecks = c.exitCode() == 63 && c.stderr().contains("does not support checks"); // raw
        assertThat(noChecks || c.exitCode() == 0).as("qemu-img check of qimg's image:\n%s", c.describe()).isTrue();
        ProcResult cmp = qemu.imgResult("compare", a.toString(), b.toString());
        assertThat(cmp.exitCode()).as("qemu-img compare:\n%s", cmp.describe()).isZero();
        assertThat(normal(info(b), b)).isEqualTo(normal(info(a), a));
    }

    /** {@code qemu-img info} of an image, with the lines that name the file or its disk usage left out. */
    String info(Path image) {
        String out = qemu.img("info", "-U", image.toString());
        StringBuilder s = new StringBuilder();
        for (String line : out.split("\n")) {
            if (!line.startsWith("image:") && !line.startsWith("disk size:")) {
                s.append(line).append('\n');
            }
        }
        return s.toString();
    }

    /**
     * The two qcow2 files are byte for byte the same once the creation dates of their snapshots (taken by
     * two runs at different moments) are zeroed.
     */
    void sameBytesButSnapshotDates() {
        try {
            byte[] x = withoutSnapshotDates(Files.readAllBytes(a));
            byte[] y = withoutSnapshotDates(Files.readAllBytes(b));
            assertThat(java.util.Arrays.mismatch(x, y)).as("first differing byte of qimg's image").isEqualTo(-1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file with {@code date_sec}/{@code date_nsec} (bytes 16..23 of each snapshot entry) zeroed. */
    private static byte[] withoutSnapshotDates(byte[] f) {
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(f);
        int n = h.getInt(60);
        long off = h.getLong(64);
        for (int i = 0; i < n && off + 40 <= f.length; i++) {
            int at = (int) off;
            java.util.Arrays.fill(f, at + 16, at + 24, (byte) 0);
            long len = 40L + Integer.toUnsignedLong(h.getInt(at + 36)) + (h.getShort(at + 12) & 0xffff)
                    + (h.getShort(at + 14) & 0xffff);
            off += (len + 7) & ~7L;
        }
        return f;
    }

    /** The two files are byte for byte the same. */
    void sameBytes() {
        try {
            assertThat(Files.mismatch(a, b)).as("first differing byte of qimg's image").isEqualTo(-1L);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
