package org.qimg.tests.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Metadata damage met while reading, each found by a differential fuzz of compare, convert, checksum, info
 * and map against qemu-img 7.2: qimg must end as qemu-img does (same exit code, same compare verdict,
 * the same bytes where both read the image), and fail with one line naming the file where qemu-img fails.
 */
class ReadDamageTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void baseImages() {
        Qemu.assumeInstalled();
        // 64 KiB clusters: data at guest clusters 0..3 (host clusters 5..8, after the L2 table at 4)
        make("plain", "cluster_size=64k", "write -P 1 0 64k", "write -P 2 64k 192k");
        make("v2", "compat=0.10,cluster_size=4k", "write -P 1 0 16k");
        // the file ends with the 79-byte deflate stream of one compressed cluster of 0x06 bytes (qemu-io
        // does not pad it); its last byte, 0x6a, holds the final match's extra bits and the end code
        make("comp", "cluster_size=64k", "write -P 1 0 64k", "write -c -P 6 512k 64k");
        make("bitmaps", "cluster_size=4k", "write -P 1 0 16k");
        Proc.ok(dir, "qemu-img", "bitmap", "--add", "bitmaps.qcow2", "b0");
        Proc.ok(dir, "qemu-img", "bitmap", "--add", "-g", "512", "bitmaps.qcow2", "b1");
    }

    private static void make(String name, String opts, String... writes) {
        Path f = dir.resolve(name + ".qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, f.toString(), "1M");
        for (String w : writes) {
            Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", w, f.toString());
        }
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", f.toString(), dir.resolve(name + ".raw").toString());
    }

    static Stream<DamageCase> compareCases() {
        return Stream.of(
                // qemu-img: "Sector allocation test failed" (exit 3), not a read error (4)
                new DamageCase("first data cluster offset unaligned", "plain",
                        e -> e.setL2Entry(0, 0, e.l2Entry(0, 0) + 512)),
                new DamageCase("L2 table offset unaligned", "plain", e -> e.put64(e.l1Offset(), e.u64(e.l1Offset()) + 512)),
                // cluster 0 now maps cluster 1's data: the mismatch at 0 comes before the bad entry of cluster 2
                new DamageCase("mismatch before an unaligned entry", "plain", e -> {
                    e.setL2Entry(0, 0, e.l2Entry(0, 1));
                    e.setL2Entry(0, 2, e.l2Entry(0, 2) + 512);
                }),
                // an unaligned entry after identical data: QEMU compares the good run first
                new DamageCase("unaligned entry after good data", "plain", e -> e.setL2Entry(0, 2, e.l2Entry(0, 2) + 512)),
                new DamageCase("zero flag in a version 2 image", "v2", e -> e.setL2Entry(0, 1, e.l2Entry(0, 1) | 1)));
    }

    static Stream<DamageCase> refusedCases() {
        return Stream.of(
                // an end marker is checked for its length too: QEMU says "Header extension too large"
                new DamageCase("end marker longer than the first cluster", "v2", e -> e.put64(72, 0xffffffffL)),
                // QEMU loads every bitmap on open and refuses one that breaks the rules of the spec
                new DamageCase("bitmap granularity under 512 bytes", "bitmaps",
                        e -> e.putBytes(e.bitmapEntry(0) + 17, new byte[] {8})),
                new DamageCase("bitmap with an unknown type", "bitmaps",
                        e -> e.putBytes(e.bitmapEntry(1) + 16, new byte[] {2})),
                new DamageCase("bitmap table one entry longer than its disk needs", "bitmaps",
                        e -> e.put32(e.bitmapEntry(0) + 8, e.u32(e.bitmapEntry(0) + 8) + 1)),
                new DamageCase("bitmap table entry with a reserved bit", "bitmaps",
                        e -> e.put64(e.u64(e.bitmapEntry(1)), 2)),
                new DamageCase("two bitmaps of one name", "bitmaps",
                        e -> e.putBytes(e.bitmapEntry(1) + 24, new byte[] {'b', '0'})),
                new DamageCase("fewer bitmaps in the directory than the extension says", "bitmaps",
                        e -> e.put32(e.bitmapsExtension(), 3)),
                new DamageCase("bitmap table offset past 2^63", "bitmaps",
                        e -> e.put64(e.bitmapEntry(0), 0xfffffffffffff000L)),
                // the feature name table retyped as a bitmaps extension: its length is wrong, and QEMU checks
                // it even though the bitmaps autoclear bit is clear
                new DamageCase("bitmaps extension of the wrong length", "plain", e -> e.put32(e.u32(100), 0x23852875)),
                // QEMU validates the snapshot table's offset even when there are no snapshots
                new DamageCase("unaligned offset of an empty snapshot table", "plain", e -> e.put64(64, 0x2210eb)));
    }

    /** Damage qemu-img refuses to open: qimg refuses it too, for info, map, convert and compare. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedCases")
    void refusesWhatQemuImgRefuses(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        assertThat(Proc.run(dir, "qemu-img", "info", img.toString()).exitCode()).as("qemu-img info").isEqualTo(1);
        for (String[] cmd : new String[][] {{"info"}, {"map", "--output=json"}, {"checksum"}}) {
            ProcResult r = Qimg.inProcess(Stream.concat(Stream.of(cmd), Stream.of(img.toString())).toArray(String[]::new));
            assertThat(r.exitCode()).as("qimg %s", cmd[0]).isEqualTo(1);
            assertOneLineNaming(r, img);
        }
        ProcResult cmp = Qimg.inProcess("compare", img.toString(), dir.resolve(c.base() + ".raw").toString());
        assertThat(cmp.exitCode()).as("qimg compare").isEqualTo(2);
        assertOneLineNaming(cmp, img);
    }

    /** A backing format name no driver has: the error names the image that asks for it. */
    @org.junit.jupiter.api.Test
    void unknownBackingFormatNamesTheImage() throws IOException {
        Path img = dir.resolve("fmt-q.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "plain.qcow2", "-F", "qcow2", img.toString());
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            long pos = e.u32(100);
            while (e.u32(pos) != 0xe2792aca) { // the backing format extension, "qcow2"
                pos += 8 + ((e.u32(pos + 4) + 7) & ~7L);
            }
            e.put32(pos + 4, 1); // now "q"
        }
        assertThat(Proc.run(dir, "qemu-img", "convert", "-O", "raw", img.toString(), dir.resolve("q.raw").toString())
                .exitCode()).as("qemu-img convert").isEqualTo(1);
        for (String[] cmd : new String[][] {{"checksum"}, {"map", "--output=json"}}) {
            ProcResult r = Qimg.inProcess(Stream.concat(Stream.of(cmd), Stream.of(img.toString())).toArray(String[]::new));
            assertThat(r.exitCode()).as("qimg %s", cmd[0]).isEqualTo(1);
            assertOneLineNaming(r, img);
        }
    }

    /** qimg compare DAMAGED ORIGINAL.raw: qemu-img's exit code and stdout; errors as one line naming the file. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("compareCases")
    void compareEndsAsQemuImgCompareDoes(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        String raw = dir.resolve(c.base() + ".raw").toString();
        ProcResult q = Proc.run(dir, "qemu-img", "compare", img.toString(), raw);
        ProcResult m = Qimg.inProcess("compare", img.toString(), raw);
        assertThat(m.exitCode()).as("qimg compare exit; qemu-img: %s%s; qimg: %s", q.stdout(), q.stderr(), m.stderr())
                .isEqualTo(q.exitCode());
        assertThat(m.stdout()).isEqualTo(q.stdout());
        if (m.exitCode() > 1) {
            assertOneLineNaming(m, img);
        }
    }

    static void assertOneLineNaming(ProcResult r, Path file) {
        assertThat(r.stderrLines()).as("stderr").hasSize(1);
        assertThat(r.stderr()).startsWith("qimg: ").contains(file.toString()).doesNotContain("Exception");
    }

    static Stream<DamageCase> readableCases() {
        return Stream.of(
                // a backing file name of 0 bytes is no backing file, wherever its offset points
                new DamageCase("empty backing file name after the header", "v2", e -> e.put64(8, 512)),
                new DamageCase("empty backing file name inside the header", "plain", e -> e.put64(8, 1)),
                // QEMU reads a bitmap table past the end of the file as zeros: a valid, empty table
                new DamageCase("bitmap table past the end of the file", "bitmaps",
                        e -> e.put64(e.bitmapEntry(0), (e.fileLength() + 3 * e.clusterSize()) & -e.clusterSize())),
                // the payload loses its last byte: QEMU reads a zero byte past the end of the file, with
                // which the stream still fills the cluster (before its end code)
                new DamageCase("compressed payload cut by its last byte", "comp", e -> {
                    assertThat(e.bytes(e.fileLength() - 1, 1)[0]).as("last byte of the payload").isEqualTo((byte) 0x6a);
                    e.truncate(e.fileLength() - 1);
                }));
    }

    /** Damage qemu-img reads through: qimg reads the same bytes, and info and map succeed. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("readableCases")
    void readsWhatQemuImgReads(DamageCase c) throws IOException {
        assertReadsAsQemu(c.applyTo(dir, ""));
    }

    /** Where qemu-img convert reads the image, qimg's raw output and checksum are its bytes. */
    static void assertReadsAsQemu(Path img) throws IOException {
        Path theirs = dir.resolve(img.getFileName() + ".q.raw");
        Path ours = dir.resolve(img.getFileName() + ".m.raw");
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", img.toString(), theirs.toString());
        ProcResult m = Qimg.inProcess("convert", "-O", "raw", img.toString(), ours.toString());
        assertThat(m.exitCode()).as("qimg convert; stderr: %s", m.stderr()).isZero();
        assertThat(Digests.sha256(ours)).isEqualTo(Digests.sha256(theirs));
        assertThat(Qimg.inProcess("checksum", img.toString()).stdout()).startsWith(Digests.sha256(theirs));
        for (String[] cmd : new String[][] {{"info"}, {"map", "--output=json"}}) {
            ProcResult r = Qimg.inProcess(Stream.concat(Stream.of(cmd), Stream.of(img.toString())).toArray(String[]::new));
            assertThat(r.exitCode()).as("qimg %s; stderr: %s", cmd[0], r.stderr()).isZero();
        }
    }
}
