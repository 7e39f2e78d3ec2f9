package org.qimg.tests.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Header damage an outside reviewer builds by hand (in the manner of QEMU's iotests 060 and 080), each
 * found by a sweep over damaged images: qimg must agree with qemu-img where qemu-img reads the image, and
 * refuse with one line naming the file where qemu-img refuses it.
 */
class HostileImageTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void baseImages() {
        Qemu.assumeInstalled();
        make("zlib", "cluster_size=64k");
        make("zstd", "cluster_size=64k,compression_type=zstd");
        make("v2", "compat=0.10");
    }

    private static void make(String name, String opts) {
        String f = dir.resolve(name + ".qcow2").toString();
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, f, "4M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 1 0 64k", "-c", "write -P 2 1M 8k",
                "-c", "write -c -P 3 2M 64k", "-c", "write -c -P 4 3M 64k", f);
    }

    private static Path damaged(String base, String name, DamageCase.Damage d) throws IOException {
        return new DamageCase(name, base, d).applyTo(dir, "");
    }

    private static void assertOneCleanError(ProcResult r, Path file, int exitCode) {
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.stderr()).isEqualTo(exitCode);
        assertThat(r.stderrLines()).as("stderr").hasSize(1);
        assertThat(r.stderr()).startsWith("qimg: ").contains(file.toString()).doesNotContain("Exception");
    }

    /** QEMU counts whole sectors: a size field of 63 clusters + 100 bytes is a disk of 63 clusters. */
    @Test
    void sizeFieldThatIsNotWholeSectorsReadsAsQemuReadsIt() throws IOException {
        Path img = damaged("zlib", "odd size", e -> e.put64(24, 63 * 65536L + 100));
        Path raw = dir.resolve("odd.raw");
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", img.toString(), raw.toString());
        assertThat(Files.size(raw)).isEqualTo(63 * 65536L);

        ProcResult info = Qimg.inProcess("info", "--output=json", img.toString());
        assertThat(info.stdout()).contains("\"virtual-size\": " + 63 * 65536L);
        ProcResult sum = Qimg.inProcess("checksum", img.toString());
        assertThat(sum.stdout()).startsWith(Digests.sha256(raw));
        assertThat(Qimg.inProcess("compare", img.toString(), raw.toString()).exitCode()).isZero();
        ProcResult q = Proc.run(dir, "qemu-img", "check", "--output=json", img.toString());
        ProcResult m = Qimg.inProcess("check", "--output=json", img.toString());
        assertThat(m.stdout()).isEqualTo(q.stdout());
    }

    /**
     * cluster_bits lowered on a zstd image: the payload of a 64 KiB cluster now expands past the 32 KiB
     * cluster. qemu-img fails the read; qimg must not return the first 32 KiB as if nothing were wrong.
     */
    @Test
    void zstdPayloadLongerThanTheClusterIsAReadError() throws IOException {
        Path img = damaged("zstd", "zstd cluster bits lowered", e -> e.put32(20, 15));
        assertThat(Proc.run(dir, "qemu-img", "convert", "-O", "raw", img.toString(), dir.resolve("q.raw").toString())
                .exitCode()).as("qemu-img convert").isEqualTo(1);
        assertOneCleanError(Qimg.inProcess("convert", "-O", "raw", img.toString(), dir.resolve("m.raw").toString()),
                img, 1);
        assertOneCleanError(Qimg.inProcess("checksum", img.toString()), img, 1);
    }

    static Stream<DamageCase> refusedByQemu() {
        return Stream.of(
                new DamageCase("backing_file_offset past the first cluster", "zlib", e -> e.put64(8, -1L)),
                new DamageCase("zstd compression type without its incompatible bit", "zlib", e -> e.putBytes(104, new byte[] {1})),
                new DamageCase("compression incompatible bit on a zlib image", "zlib", e -> e.put64(72, 8)),
                new DamageCase("header extension longer than the first cluster", "zlib", e -> {
                    e.put32(112, 0x12345678);
                    e.put32(116, 0x7fffffff);
                }),
                new DamageCase("backing format extension of 5000 bytes", "v2", e -> {
                    e.put32(72, 0xe2792aca);
                    e.put32(76, 5000);
                }),
                new DamageCase("LUKS header extension on an unencrypted image", "zlib", e -> {
                    e.put32(112, 0x0537be77);
                    e.put32(116, 16);
                }),
                new DamageCase("data-file-raw without a data file", "zlib", e -> e.put64(88, 2)),
                new DamageCase("backing file name longer than 1023 bytes", "zlib", e -> {
                    e.put64(8, 4096);
                    e.put32(16, 2000);
                }),
                new DamageCase("L1 table ending past 2^63", "v2", e -> {
                    e.put64(40, 0x7fffffffffff0000L);
                    e.put32(36, 0xffff);
                }));
    }

    /**
     * Images qemu-img check cannot open: check and check -r all fail as qemu-img's do (exit 1, not a
     * check of the tables), and info and convert refuse them too, each with one line naming the file.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedByQemu")
    void whatQemuCannotOpenIsRefusedByEveryCommand(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        for (List<String> cmd : List.of(List.of("check"), List.of("check", "-r", "all"))) {
            Path copy = dir.resolve("copy.qcow2");
            Files.copy(img, copy, StandardCopyOption.REPLACE_EXISTING);
            String[] qargs = Stream.concat(Stream.of("qemu-img"), Stream.concat(cmd.stream(), Stream.of(copy.toString())))
                    .toArray(String[]::new);
            assertThat(Proc.run(dir, qargs).exitCode()).as("qemu-img %s", cmd).isEqualTo(1);
            String[] margs = Stream.concat(cmd.stream(), Stream.of(img.toString())).toArray(String[]::new);
            assertOneCleanError(Qimg.inProcess(margs), img, 1);
        }
        assertOneCleanError(Qimg.inProcess("info", img.toString()), img, 1);
        assertOneCleanError(Qimg.inProcess("convert", "-O", "raw", img.toString(), dir.resolve("x.raw").toString()),
                img, 1);
    }

    /**
     * refcount_table_clusters = 0: qemu-img opens such an image only to check it (and reports every
     * cluster as unreferenced by the refcounts); -r all rebuilds the refcounts. Other commands refuse it.
     */
    @Test
    void noRefcountTableIsCheckedAndRepairedAsQemuDoesAndRefusedOtherwise() throws IOException {
        Path img = damaged("zlib", "no refcount table", e -> e.put32(56, 0));
        assertThat(Proc.run(dir, "qemu-img", "info", img.toString()).exitCode()).isEqualTo(1);
        assertOneCleanError(Qimg.inProcess("info", img.toString()), img, 1);
        assertOneCleanError(Qimg.inProcess("checksum", img.toString()), img, 1);

        ProcResult q = Proc.run(dir, "qemu-img", "check", "--output=json", img.toString());
        ProcResult m = Qimg.inProcess("check", "--output=json", img.toString());
        assertThat(q.exitCode()).isEqualTo(2);
        assertThat(m.exitCode()).as("qimg check; stderr: %s", m.stderr()).isEqualTo(2);
        assertThat(m.stdout()).isEqualTo(q.stdout());
        assertThat(m.stderr().replace("qimg: ", "")).isEqualTo(q.stderr().replace("qemu-img: ", ""));

        assertThat(Qimg.inProcess("check", "-r", "all", img.toString()).exitCode()).isZero();
        assertThat(Proc.run(dir, "qemu-img", "check", img.toString()).exitCode()).as("qemu-img check after repair")
                .isZero();
        assertThat(Proc.run(dir, "qemu-img", "compare", dir.resolve("zlib.qcow2").toString(), img.toString())
                .exitCode()).isZero();
    }

    /** v3 snapshot entries need 16 bytes of extra data; qemu-img check reports a shorter one as a corruption. */
    @Test
    void incompleteSnapshotEntryIsReportedAsQemuReportsIt() throws IOException {
        Path img = dir.resolve("snap-incomplete.qcow2");
        Files.copy(dir.resolve("zlib.qcow2"), img, StandardCopyOption.REPLACE_EXISTING);
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "s1", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put32(e.u64(64) + 36, 0); // extra_data_size of entry 0: 16 -> 0 (its extra data becomes padding)
        }
        ProcResult q = Proc.run(dir, "qemu-img", "check", "--output=json", img.toString());
        ProcResult m = Qimg.inProcess("check", "--output=json", img.toString());
        assertThat(q.exitCode()).isEqualTo(2);
        assertThat(q.stderr()).contains("snapshot table entry 0 is incomplete");
        assertThat(m.exitCode()).as("qimg check; stderr: %s", m.stderr()).isEqualTo(2);
        assertThat(m.stdout()).isEqualTo(q.stdout());
        assertThat(m.stderr().replace("qimg: ", "")).isEqualTo(q.stderr().replace("qemu-img: ", ""));

        // -r all rewrites the table as qemu-img does, byte for byte
        assertRepairAllIsQemus(img, false);
    }

    /**
     * {@code check -r all} on {@code img} and on a copy given to qemu-img: both succeed, print the same
     * report (and with {@code sameStderr} the same problem lines) and leave byte-identical files.
     */
    private static void assertRepairAllIsQemus(Path img, boolean sameStderr) throws IOException {
        Path theirs = dir.resolve(img.getFileName() + "-theirs");
        Files.copy(img, theirs, StandardCopyOption.REPLACE_EXISTING);
        ProcResult qr = Proc.run(dir, "qemu-img", "check", "-r", "all", theirs.toString());
        ProcResult mr = Qimg.inProcess("check", "-r", "all", img.toString());
        assertThat(qr.exitCode()).isZero();
        assertThat(mr.exitCode()).as("qimg check -r all; stderr: %s", mr.stderr()).isZero();
        assertThat(mr.stdout()).isEqualTo(qr.stdout());
        if (sameStderr) {
            assertThat(mr.stderr().replace("qimg: ", "")).isEqualTo(qr.stderr().replace("qemu-img: ", ""));
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(Files.readAllBytes(theirs));
    }

    /** Extra data over 1024 bytes: qemu-img check fails, -r all drops the excess; qimg does both alike. */
    @Test
    void oversizedSnapshotExtraDataIsDroppedAsQemuDrops() throws IOException {
        Path img = dir.resolve("snap-big-extra.qcow2");
        Files.copy(dir.resolve("zlib.qcow2"), img, StandardCopyOption.REPLACE_EXISTING);
        Proc.ok(dir, "qemu-img", "snapshot", "-c", "keep-my-name", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.resizeFirstSnapshotExtra(3000);
        }
        ProcResult q = Proc.run(dir, "qemu-img", "check", img.toString());
        ProcResult m = Qimg.inProcess("check", img.toString());
        assertThat(q.exitCode()).isEqualTo(1);
        assertThat(m.exitCode()).as("qimg check; stderr: %s", m.stderr()).isEqualTo(1);
        assertThat(m.stderr().replace("qimg: ", "")).isEqualTo(q.stderr().replace("qemu-img: ", ""));

        assertRepairAllIsQemus(img, true);
        assertThat(Proc.run(dir, "qemu-img", "snapshot", "-l", img.toString()).stdout()).contains("keep-my-name");
    }

    /**
     * A refcount table entry of 0xfffffffffffffe00 is cluster-aligned with 512-byte clusters; qemu-img
     * still maps and reads the image (only the refcounts are damaged). qimg's metadata-preallocation probe
     * once read there at a negative position and failed every map, convert and checksum.
     */
    @Test
    void refcountBlockOffsetWithBit63ReadsLikeQemu() throws IOException {
        Path img = dir.resolve("c512-rt-huge.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", img.toString(), "4M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 1 0 4k", "-c", "write -P 2 1M 512", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            e.put64(e.reftableOffset(), 0xfffffffffffffe00L);
        }
        Path raw = dir.resolve("c512.raw");
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", img.toString(), raw.toString());
        ProcResult qmap = Proc.run(dir, "qemu-img", "map", "--output=json", img.toString());
        ProcResult mmap = Qimg.inProcess("map", "--output=json", img.toString());
        assertThat(mmap.exitCode()).as("qimg map; stderr: %s", mmap.stderr()).isZero();
        assertThat(mmap.stdout()).isEqualTo(qmap.stdout());
        assertThat(Qimg.inProcess("checksum", img.toString()).stdout()).startsWith(Digests.sha256(raw));
    }

    /**
     * Refcount table offset 0: QEMU only asks for alignment, so it opens the image and reads its data (the
     * refcounts are damaged, the data is not); qimg reads it too, and refuses to write into it in place.
     */
    @Test
    void refcountTableAtOffsetZeroReadsLikeQemu() throws IOException {
        Path img = damaged("zlib", "refcount table at 0", e -> e.put64(48, 0));
        Path raw = dir.resolve("rt0.raw");
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", img.toString(), raw.toString());
        ProcResult cmp = Qimg.inProcess("compare", img.toString(), dir.resolve("zlib.qcow2").toString());
        assertThat(cmp.exitCode()).as("qimg compare; stderr: %s", cmp.stderr()).isZero();
        assertThat(Qimg.inProcess("checksum", img.toString()).stdout()).startsWith(Digests.sha256(raw));
        assertThat(Qimg.inProcess("map", "--output=json", img.toString()).stdout())
                .isEqualTo(Proc.run(dir, "qemu-img", "map", "--output=json", img.toString()).stdout());
        byte[] before = Files.readAllBytes(img);
        ProcResult inPlace = Qimg.inProcess("convert", "-n", "-O", "qcow2", raw.toString(), img.toString());
        assertOneCleanError(inPlace, img, 1);
        assertThat(Files.readAllBytes(img)).as("refused target untouched").isEqualTo(before);
    }

    /** A backing file that is a directory: the error says which image wanted it. */
    @Test
    void backingFileThatIsADirectoryNamesTheImage() throws IOException {
        Files.createDirectories(dir.resolve("adir"));
        Path img = dir.resolve("dir-backed.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "adir", "-F", "raw", img.toString(), "4M");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", img.toString(), dir.resolve("d.raw").toString());
        assertOneCleanError(r, img, 1);
        assertThat(r.stderr()).contains("adir");
    }

    static Stream<DamageCase> refcountTableDamage() {
        return Stream.of(
                // the refcount table then reads the L1 entry 0x80000000000N0000 as a refblock offset past 2^63
                new DamageCase("refcount table offset set to the L1 table's", "zlib", e -> e.put64(48, e.l1Offset())),
                new DamageCase("refcount table offset set to the L1 table's (v2)", "v2", e -> e.put64(48, e.l1Offset())),
                new DamageCase("refcount table entry with bit 63 set", "zlib",
                        e -> e.put64(e.reftableOffset(), e.u64(e.reftableOffset()) | (1L << 63))));
    }

    /**
     * A refcount block offset no file can reach: qemu-img check -r all cannot grow the file there, so it
     * rebuilds the refcount structure and the image comes out clean; qimg must do the same, not claim a
     * repair it could not make.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refcountTableDamage")
    void unreachableRefcountBlockIsRebuiltByRepairAllAsQemuDoes(DamageCase c) throws IOException {
        Path ours = c.applyTo(dir, "");
        Path theirs = dir.resolve("theirs.qcow2");
        Files.copy(ours, theirs, StandardCopyOption.REPLACE_EXISTING);
        Proc.run(dir, "qemu-img", "check", "-r", "all", theirs.toString());
        assertThat(Proc.run(dir, "qemu-img", "check", theirs.toString()).exitCode()).as("after qemu's repair").isZero();

        ProcResult m = Qimg.inProcess("check", "-r", "all", ours.toString());
        assertThat(m.exitCode()).as("qimg check -r all; stderr: %s", m.stderr()).isZero();
        assertThat(m.stderr()).contains("ERROR could not resize image").contains("Rebuilding refcount structure");
        assertThat(Proc.run(dir, "qemu-img", "check", ours.toString()).exitCode()).as("after qimg's repair").isZero();
        assertThat(Proc.run(dir, "qemu-img", "compare", dir.resolve(c.base() + ".qcow2").toString(), ours.toString())
                .exitCode()).isZero();
    }

    /** Opening a FIFO for reading blocks until a writer comes; qemu-img hangs there, qimg refuses it. */
    @Test
    void fifoIsRefusedInsteadOfWaitedOn() {
        Path fifo = dir.resolve("pipe.qcow2");
        Proc.ok(dir, "mkfifo", fifo.toString());
        for (String[] args : List.of(new String[] {"info", fifo.toString()}, new String[] {"check", fifo.toString()},
                new String[] {"checksum", fifo.toString()},
                new String[] {"convert", "-O", "raw", fifo.toString(), dir.resolve("f.raw").toString()})) {
            ProcResult r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Qimg.inProcess(args));
            assertOneCleanError(r, fifo, 1);
        }
    }

    /** A NUL byte in the backing file name: info shows the image (as qemu-img does); reading it names it. */
    @Test
    void nulInBackingFileNameNamesTheImage() throws IOException {
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", dir.resolve("base.qcow2").toString(), "4M");
        Path img = dir.resolve("nul-overlay.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            byte[] name = "base\0.qcow2".getBytes(StandardCharsets.US_ASCII);
            e.putBytes(4096, name);
            e.put64(8, 4096);
            e.put32(16, name.length);
        }
        assertThat(Qimg.inProcess("info", img.toString()).exitCode()).isZero();
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", img.toString(), dir.resolve("n.raw").toString());
        assertOneCleanError(r, img, 1);
    }
}
