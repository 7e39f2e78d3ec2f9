package org.qimg.tests.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Snapshot tables and refcount tables broken the way QEMU's iotests 060 and 080 break them, each built here
 * on an image qemu-img made. For every command the same damaged file is given to qemu-img (a copy) and to
 * qimg: stdout, stderr (qemu-img's words) and exit code must be equal, and where a command changes the file
 * (a partial shrink, a repair) {@code qemu-img check} must then say the same of both files.
 */
class QemuCorruptionParityTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void tools() {
        Qemu.assumeInstalled();
    }

    /** A fresh 64 MiB image with {@code opts} and one written cluster at guest offset 0. */
    private static Path image(String name, String opts, boolean write) {
        Path f = dir.resolve(name + ".qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, f.toString(), "64M");
        if (write) {
            Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write 0 512", f.toString());
        }
        return f;
    }

    /** The copy qemu-img works on. */
    private static Path theirs(Path ours) throws IOException {
        Path t = dir.resolve("theirs-" + ours.getFileName());
        Files.copy(ours, t, StandardCopyOption.REPLACE_EXISTING);
        return t;
    }

    /** Runs {@code cmd} ("@" is the image) with qemu-img on {@code theirs} and qimg on {@code ours}; compares. */
    private static void same(Path ours, Path theirs, String... cmd) {
        ProcResult q = Proc.run(dir, args("qemu-img", cmd, theirs));
        ProcResult m = Qimg.inProcess(args(null, cmd, ours));
        String what = String.join(" ", cmd);
        String qOut = q.stdout().replace(theirs.toString(), "IMG");
        String mOut = m.stdout().replace(ours.toString(), "IMG");
        if (what.startsWith("info")) {
            // the bytes the file system allocated are not the point here
            qOut = qOut.replaceAll("(?m)^.*actual-size.*$", "");
            mOut = mOut.replaceAll("(?m)^.*actual-size.*$", "");
        }
        assertThat(m.stderr().replaceAll("(?m)^qimg: ", "qemu-img: ").replace(ours.toString(), "IMG"))
                .as("stderr of %s", what).isEqualTo(q.stderr().replace(theirs.toString(), "IMG"));
        assertThat(mOut).as("stdout of %s", what).isEqualTo(qOut);
        assertThat(m.exitCode()).as("exit code of %s; stderr: %s", what, m.stderr()).isEqualTo(q.exitCode());
    }

    private static String[] args(String program, String[] cmd, Path img) {
        List<String> a = new ArrayList<>();
        if (program != null) {
            a.add(program);
        }
        for (String s : cmd) {
            a.add(s.equals("@") ? img.toString() : s.replace("@", img.toString()));
        }
        return a.toArray(String[]::new);
    }

    /** What real qemu-img check says of qimg's file equals what it says of qemu-img's. */
    private static void sameCheck(Path ours, Path theirs) {
        ProcResult q = Proc.run(dir, "qemu-img", "check", theirs.toString());
        ProcResult m = Proc.run(dir, "qemu-img", "check", ours.toString());
        assertThat(m.stdout().replace(ours.toString(), "IMG")).as("qemu-img check of qimg's file")
                .isEqualTo(q.stdout().replace(theirs.toString(), "IMG"));
        assertThat(m.exitCode()).as("qemu-img check exit code of qimg's file").isEqualTo(q.exitCode());
    }

    private static long snapshotEntry(Path img) throws IOException {
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            return e.u64(64);
        }
    }

    // ---- 080: snapshot tables

    /** 65536 snapshots said to lie past the end of the file: they read as zeros, and one more is -EFBIG. */
    @Test
    void fullSnapshotTablePastTheEnd() throws IOException {
        Path img = image("snapfull", "cluster_size=64k", false);
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put64(64, 0x1000000);
            e.put32(60, 65536);
        }
        Path t = theirs(img);
        same(img, t, "snapshot", "-c", "test", "@");
        same(img, t, "info", "--output=json", "@");
        same(img, t, "check", "--output=json", "@");
        sameCheck(img, t);
    }

    /** A data cluster far past the end: its refcount block is missing inside the table (-EAGAIN) or not (-EFBIG). */
    @Test
    void snapshotOfHugeDataOffsets() throws IOException {
        Path img = image("l2huge", "cluster_size=64k", true);
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.setL2Entry(0, 0, 0xbfffffffffff0000L); // compressed, offset near 2^54: past any refcount table
        }
        same(img, theirs(img), "snapshot", "-c", "test", "@");
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.setL2Entry(0, 0, 0x800000ffffff0000L); // 1 TiB: refcount table index 511 of 8192, no block
        }
        same(img, theirs(img), "snapshot", "-c", "test", "@");
    }

    /** A snapshot whose L1 table offset is not cluster aligned. */
    @Test
    void snapshotL1OffsetInvalid() throws IOException {
        Path img = image("snapl1off", "cluster_size=64k", true);
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "test", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put64(snapshotEntry(img), 0x400200);
        }
        Path t = theirs(img);
        same(img, t, "convert", "-l", "test", "@", "@.snap");
        same(img, t, "snapshot", "-a", "test", "@");
        same(img, t, "snapshot", "-l", "@");
        same(img, t, "check", "@");
        same(img, t, "snapshot", "-d", "test", "@");
        sameCheck(img, t);
    }

    /** A snapshot whose L1 table would be 2 GiB. */
    @Test
    void snapshotL1TooLarge() throws IOException {
        Path img = image("snapl1big", "cluster_size=64k", true);
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "test", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put32(snapshotEntry(img) + 8, 0x10000000);
        }
        Path t = theirs(img);
        same(img, t, "convert", "-l", "test", "@", "@.snap");
        same(img, t, "snapshot", "-a", "test", "@");
        same(img, t, "check", "@");
        sameCheck(img, t);
    }

    /** convert -l of a snapshot the image does not have. */
    @Test
    void convertOfAMissingSnapshot() throws IOException {
        Path img = image("nosnap", "cluster_size=64k", true);
        same(img, theirs(img), "convert", "-l", "nosuch", "@", "@.out");
    }

    /** More than 1024 bytes of extra data: open fails with QEMU's hint; check -r all cuts it as qemu-img does. */
    @Test
    void tooMuchSnapshotExtraData() throws IOException {
        Path img = image("snapextra", "cluster_size=64k", true);
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "s", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put32(snapshotEntry(img) + 36, 4096);
        }
        Path t = theirs(img);
        same(img, t, "info", "@");
        same(img, t, "snapshot", "-l", "@");
        same(img, t, "check", "@");
        same(img, t, "check", "-r", "all", "@");
        sameCheck(img, t);
        assertThat(Proc.run(dir, "qemu-img", "check", img.toString()).exitCode()).isZero();
    }

    // ---- 060: refcount tables met by a shrink, then repaired

    /** Refcount table entry 1 points far past the end of the file: the shrink fails half way as QEMU's. */
    @Test
    void shrinkOverAnOutOfBoundsRefblock() throws IOException {
        Path img = image("rb-oob", "cluster_size=64k", false);
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put64(e.reftableOffset() + 8, 0x00ffffff00000000L);
        }
        shrinkRepairShrink(img);
    }

    /** refcount_bits=1: entry 1 points to 64 GiB, which refcount block 2 (missing) would cover. */
    @Test
    void shrinkOverANonCoveredRefblock() throws IOException {
        Path img = image("rb-nocover", "cluster_size=64k,refcount_bits=1", false);
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put64(e.reftableOffset() + 8, 0x1000000000L);
        }
        shrinkRepairShrink(img);
    }

    /** As above, with refcount block 2 "present" at the unaligned offset 0x200. */
    @Test
    void shrinkOverAnUnalignedRefblock() throws IOException {
        Path img = image("rb-unaligned", "cluster_size=64k,refcount_bits=1", false);
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put64(e.reftableOffset() + 8, 0x1000000000L);
            e.put64(e.reftableOffset() + 16, 0x200L);
        }
        Path t = theirs(img);
        same(img, t, "resize", "--shrink", "@", "32M");
        sameCheck(img, t);
        same(img, t, "check", "-q", "-r", "all", "@");
        same(img, t, "check", "-r", "all", "@");
        sameCheck(img, t);
        assertThat(Proc.run(dir, "qemu-img", "check", img.toString()).exitCode()).as("clean after repair").isZero();
    }

    private static void shrinkRepairShrink(Path img) throws IOException {
        Path t = theirs(img);
        same(img, t, "resize", "--shrink", "@", "32M");
        sameCheck(img, t);
        same(img, t, "info", "--output=json", "@");
        same(img, t, "check", "-r", "all", "@");
        sameCheck(img, t);
        same(img, t, "resize", "--shrink", "@", "32M");
        same(img, t, "info", "--output=json", "@");
        assertThat(Proc.run(dir, "qemu-img", "check", img.toString()).exitCode()).as("clean after repair").isZero();
        assertThat(Proc.run(dir, "qemu-img", "compare", img.toString(), t.toString()).exitCode()).isZero();
    }
}
