package org.qimg.tests.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Damages real qemu-img images on purpose and checks that {@code qimg check} reports what
 * {@code qemu-img check} reports (JSON counters, human text, problem lines, exit code), and that
 * {@code qimg check -r leaks|all} leaves an image that qemu-img finds as clean as after its own repair.
 */
class CheckDamageTest {
    @TempDir
    static Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void baseImages() throws IOException {
        Qemu.assumeInstalled();
        make("plain", "refcount_bits=16", true, false);
        make("snap", "refcount_bits=16", true, true);
        make("rc1", "refcount_bits=1", false, false);
        make("rc64", "refcount_bits=64", true, false);
        make("v2", "compat=0.10", true, true);
        String small = dir.resolve("small.qcow2").toString();
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", small, "1M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 1 0 16k", small);
        // 1 of 32 clusters allocated: 3.125 %, which C's printf rounds half to even (3.12)
        String tie = dir.resolve("tie.qcow2").toString();
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", tie, "2M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 1 0 64k", tie);
        String bm = dir.resolve("bitmaps.qcow2").toString();
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", bm, "64M");
        Proc.ok(dir, "qemu-img", "bitmap", "--add", bm, "b0");
        Proc.ok(dir, "qemu-img", "bitmap", "--add", "-g", "512", bm, "b1");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 1 0 1M", "-c", "write -P 2 8M 64k", bm);
    }

    private static void make(String name, String opts, boolean compressed, boolean snapshot) throws IOException {
        String f = dir.resolve(name + ".qcow2").toString();
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, f, "4M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 1 0 256k", "-c", "write -P 2 1M 64k", f);
        if (compressed) {
            Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -c -P 3 2M 64k", "-c", "write -c -P 4 2112k 64k", f);
        }
        if (!opts.contains("compat=0.10")) {
            Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -z 3M 64k", f);
        }
        if (snapshot) {
            Proc.ok(dir, "qemu-img", "snapshot", "-c", "s1", f);
            Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 9 0 64k", f);
        }
    }

    /** Host cluster index of guest cluster {@code i} (64 KiB clusters, first L2 table). */
    private static long dataCluster(Qcow2Edit e, int i) throws IOException {
        return (e.l2Entry(0, i) & Qcow2Edit.OFFSET_MASK) >>> e.clusterBits;
    }

    static Stream<DamageCase> cases() {
        return Stream.of(
                new DamageCase("clean", "plain", e -> { }),
                new DamageCase("clean snapshot", "snap", e -> { }),
                new DamageCase("clean v2 snapshot", "v2", e -> { }),
                new DamageCase("clean with persistent bitmaps", "bitmaps", e -> { }),
                new DamageCase("bitmaps: leak", "bitmaps", e -> e.setRefcount(e.appendCluster(), 1)),
                new DamageCase("refcount raised: leak", "plain",
                        e -> e.setRefcount(dataCluster(e, 16), e.refcount(dataCluster(e, 16)) + 1)),
                new DamageCase("appended cluster with refcount 1: leak", "plain", e -> e.setRefcount(e.appendCluster(), 1)),
                new DamageCase("refcount of data cluster zeroed", "plain", e -> e.setRefcount(dataCluster(e, 1), 0)),
                new DamageCase("refcount of shared cluster lowered", "snap", e -> e.setRefcount(dataCluster(e, 1), 1)),
                new DamageCase("COPIED on compressed entry", "plain", e -> e.setL2Entry(0, 32, e.l2Entry(0, 32) | Qcow2Edit.COPIED)),
                new DamageCase("COPIED on snapshot-shared cluster", "snap",
                        e -> e.setL2Entry(0, 2, e.l2Entry(0, 2) | Qcow2Edit.COPIED)),
                new DamageCase("COPIED cleared on L1 entry", "plain", e -> e.put64(e.l1Offset(), e.u64(e.l1Offset()) & ~Qcow2Edit.COPIED)),
                new DamageCase("L2 entry past EOF", "plain",
                        e -> e.setL2Entry(0, 40, (e.fileLength() + 16 * e.clusterSize()) | Qcow2Edit.COPIED)),
                new DamageCase("L2 entry unaligned", "plain", e -> e.setL2Entry(0, 17, e.l2Entry(0, 17) + 512)),
                new DamageCase("L2 entry aliases the L1 table", "plain",
                        e -> e.setL2Entry(0, 48, e.l1Offset() | Qcow2Edit.COPIED)),
                new DamageCase("refcount block pointer past EOF", "plain", e -> e.put64(e.reftableOffset(), 32L << 20)),
                new DamageCase("refcount block pointer with reserved bits", "plain",
                        e -> e.put64(e.reftableOffset(), e.u64(e.reftableOffset()) | 1)),
                new DamageCase("refcount table past EOF", "plain", e -> e.put64(48, 16L << 20)),
                // QEMU reads the header as the refcount table and rebuilds it with -r all
                new DamageCase("refcount table offset 0", "plain", e -> e.put64(48, 0)),
                new DamageCase("refcount table offset 0 with snapshot", "snap", e -> e.put64(48, 0)),
                // snapshot table entries that qemu-img check -r all rewrites
                new DamageCase("snapshot entry with 8 bytes of extra data", "snap", e -> e.resizeFirstSnapshotExtra(8)),
                new DamageCase("snapshot entry with no extra data", "snap", e -> e.resizeFirstSnapshotExtra(0)),
                new DamageCase("snapshot entry with 2000 bytes of extra data", "snap",
                        e -> e.resizeFirstSnapshotExtra(2000)),
                new DamageCase("snapshot extra data size zeroed", "snap", e -> e.put32(e.u64(64) + 36, 0)),
                // the entry now spans 4 GiB: -r all cuts its extra data, then drops it as overhanging
                // (the table reaches past 2 GiB), and qemu-img's re-check finds the image clean
                new DamageCase("snapshot extra data size 0xffffffff", "snap", e -> e.put32(e.u64(64) + 36, -1)),
                // QEMU validates the snapshot table pointer only in the check, and says so in its own words
                new DamageCase("snapshot table offset unaligned", "snap", e -> e.put64(64, e.u64(64) + 512)),
                new DamageCase("clean: 3.125% allocated", "tie", e -> { }),
                // QEMU opens it (a bitmap in use is not loaded), then its check fails on the bad table entry
                new DamageCase("bitmap in use with an unaligned table entry", "bitmaps", e -> {
                    long entry = e.bitmapEntry(1);
                    e.put32(entry + 12, e.u32(entry + 12) | 1);
                    e.put64(e.u64(entry), 3 * 512);
                }),
                new DamageCase("refcount_bits=1: refcount zeroed", "rc1", e -> e.setRefcount(dataCluster(e, 2), 0)),
                new DamageCase("refcount_bits=1: appended leak", "rc1", e -> e.setRefcount(e.appendCluster(), 1)),
                new DamageCase("refcount_bits=64: huge refcount", "rc64", e -> e.setRefcount(dataCluster(e, 3), 1L << 40)),
                new DamageCase("refcount_bits=64: refcount zeroed", "rc64", e -> e.setRefcount(dataCluster(e, 3), 0)),
                new DamageCase("v2 with snapshot: leak and low refcount", "v2", e -> {
                    e.setRefcount(dataCluster(e, 0), 2);
                    e.setRefcount(dataCluster(e, 2), 1);
                }));
    }

    /** Images qemu-img cannot open (so neither check nor check -r all runs), found by a differential fuzz. */
    static Stream<DamageCase> refusedOnOpen() {
        return Stream.of(
                // qcow2_validate_table: the offset must be aligned even for an empty table
                new DamageCase("refcount table unaligned and empty", "plain", e -> {
                    e.put64(48, e.reftableOffset() + 512);
                    e.put32(56, 0);
                }),
                // QEMU: subclusters (a 32nd of a cluster) of less than 512 bytes are unsupported
                new DamageCase("extended L2 bit on 4 KiB clusters", "small", e -> e.put64(72, e.u64(72) | 16)),
                new DamageCase("bitmaps extension with zero bitmaps", "bitmaps", e -> e.put32(e.bitmapsExtension(), 0)),
                new DamageCase("bitmap of type 2", "bitmaps", e -> e.putBytes(e.bitmapEntry(0) + 16, new byte[] {2})),
                new DamageCase("bitmap granularity of 256 bytes", "bitmaps",
                        e -> e.putBytes(e.bitmapEntry(1) + 17, new byte[] {8})),
                new DamageCase("bitmap table one entry longer than the bitmap needs", "bitmaps",
                        e -> e.put32(e.bitmapEntry(0) + 8, e.u32(e.bitmapEntry(0) + 8) + 1)),
                new DamageCase("bitmap table entry unaligned", "bitmaps",
                        e -> e.put64(e.u64(e.bitmapEntry(1)), 3 * 512)),
                new DamageCase("two bitmaps named b0", "bitmaps", e -> e.putBytes(e.bitmapEntry(1) + 24 + 1, new byte[] {'0'})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedOnOpen")
    void whatQemuCannotOpenIsNotChecked(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        byte[] before = Files.readAllBytes(img);
        for (List<String> mode : List.of(List.<String>of(), List.of("-r", "all"))) {
            Path theirs = c.applyTo(dir, "_theirs");
            List<String> q = new java.util.ArrayList<>(List.of("qemu-img", "check"));
            q.addAll(mode);
            q.add(theirs.toString());
            ProcResult qr = Proc.run(dir, q.toArray(String[]::new));
            assertThat(qr.exitCode()).as("qemu-img check %s: %s", mode, qr.stderr()).isEqualTo(1);
            assertThat(qr.stderr()).contains("Could not open");
            List<String> m = new java.util.ArrayList<>(List.of("check"));
            m.addAll(mode);
            m.add(img.toString());
            ProcResult mr = Qimg.inProcess(m.toArray(String[]::new));
            assertThat(mr.exitCode()).as("qimg check %s; stderr: %s", mode, mr.stderr()).isEqualTo(1);
            assertThat(mr.stdout()).isEmpty();
            assertThat(mr.stderrLines()).hasSize(1);
            assertThat(mr.stderr()).startsWith("qimg: ").contains(img.toString()).doesNotContain("Exception");
            assertThat(Files.readAllBytes(img)).as("image untouched").isEqualTo(before);
        }
    }

    private static Map<String, Object> json(String text) throws IOException {
        Map<String, Object> m = new TreeMap<>(JSON.readValue(text, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }));
        m.remove("filename");
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void checkReportsWhatQemuReports(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        ProcResult q = Proc.run(dir, "qemu-img", "check", "--output=json", img.toString());
        ProcResult m = Qimg.inProcess("check", "--output=json", img.toString());
        assertThat(q.exitCode()).as("qemu-img sees the damage").isEqualTo(c.name().startsWith("clean") ? 0 : q.exitCode() == 0 ? -1 : q.exitCode());
        assertThat(m.exitCode()).as("exit code; qimg stderr: %s", m.stderr()).isEqualTo(q.exitCode());
        if (q.exitCode() != 1) {
            assertThat(m.stdout()).as("JSON text, key order included").isEqualTo(q.stdout());
        }
        ProcResult qh = Proc.run(dir, "qemu-img", "check", img.toString());
        ProcResult mh = Qimg.inProcess("check", img.toString());
        assertThat(mh.stdout()).isEqualTo(qh.stdout());
        assertThat(lines(mh.stderr())).isEqualTo(lines(qh.stderr()));
    }

    private static List<String> lines(String err) {
        return err.lines().map(l -> l.replace("qemu-img: ", "").replace("qimg: ", ""))
                .filter(l -> !l.startsWith("qcow2: ")).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void repairLeavesWhatQemuRepairLeaves(DamageCase c) throws IOException {
        for (String mode : List.of("leaks", "all")) {
            Path ours = c.applyTo(dir, "_ours_" + mode);
            Path theirs = c.applyTo(dir, "_theirs_" + mode);
            ProcResult q = Proc.run(dir, "qemu-img", "check", "-r", mode, "--output=json", theirs.toString());
            ProcResult m = Qimg.inProcess("check", "-r", mode, "--output=json", ours.toString());
            ProcResult qAfter = Proc.run(dir, "qemu-img", "check", "--output=json", theirs.toString());
            ProcResult mAfter = Proc.run(dir, "qemu-img", "check", "--output=json", ours.toString());
            if (q.exitCode() == 1 && m.exitCode() != 1) {
                // qemu's own repair gave up (e.g. its overlap check refused the rebuild); ours must then be clean
                assertThat(mAfter.exitCode()).as("qemu-img check after qimg check -r %s", mode).isZero();
                continue;
            }
            assertThat(m.exitCode()).as("-r %s exit code; qimg stderr: %s", mode, m.stderr()).isEqualTo(q.exitCode());
            if (q.exitCode() != 1) {
                assertThat(json(m.stdout())).as("-r %s JSON", mode).isEqualTo(json(q.stdout()));
            }
            assertThat(mAfter.exitCode()).as("qemu-img check after -r %s", mode).isEqualTo(qAfter.exitCode());
            if (qAfter.exitCode() != 1) {
                Map<String, Object> mj = json(mAfter.stdout());
                Map<String, Object> qj = json(qAfter.stdout());
                if (c.base().equals("bitmaps")) {
                    // qemu-img opened read-write stores its bitmaps again on close, elsewhere in the file
                    mj.remove("image-end-offset");
                    qj.remove("image-end-offset");
                }
                assertThat(mj).isEqualTo(qj);
            }
            if (qAfter.exitCode() == 0) {
                ProcResult cmp = Proc.run(dir, "qemu-img", "compare", dir.resolve(c.base() + ".qcow2").toString(),
                        ours.toString());
                ProcResult cmpTheirs = Proc.run(dir, "qemu-img", "compare", dir.resolve(c.base() + ".qcow2").toString(),
                        theirs.toString());
                assertThat(cmp.exitCode()).as("qemu-img compare with the undamaged image after -r %s", mode)
                        .isEqualTo(cmpTheirs.exitCode());
            }
        }
    }

    /**
     * Bitmaps autoclear bit cleared (a program without bitmap support wrote the image): QEMU ignores the
     * bitmaps, so their clusters are leaks, and warns first. (QEMU's second warning line lacks its newline
     * and runs into the next line; qimg ends it.)
     */
    @Test
    void bitmapsWithoutTheirAutoclearBitAreLeaksWithQemusWarning() throws IOException {
        Path img = new DamageCase("bitmaps autoclear bit cleared", "bitmaps", e -> e.put64(88, e.u64(88) & ~1L))
                .applyTo(dir, "");
        ProcResult q = Proc.run(dir, "qemu-img", "check", "--output=json", img.toString());
        ProcResult m = Qimg.inProcess("check", "--output=json", img.toString());
        assertThat(q.exitCode()).isEqualTo(3);
        assertThat(m.exitCode()).isEqualTo(3);
        assertThat(m.stdout()).isEqualTo(q.stdout());
        List<String> ql = lines(q.stderr());
        List<String> ml = lines(m.stderr());
        assertThat(ml.get(0)).startsWith("warning: ").isEqualTo(ql.get(0));
        assertThat(ql.get(1)).startsWith(ml.get(1));
        assertThat(ml.subList(2, ml.size())).isEqualTo(ql.subList(1, ql.size()).stream()
                .map(l -> l.substring(l.startsWith(ml.get(1)) ? ml.get(1).length() : 0)).toList());
    }

    /**
     * refcount_bits=1, nb_snapshots set to 1 with the snapshot table pointer 0: the header reads as a
     * snapshot entry, which -r all rewrites elsewhere. Releasing the old table then must not free (and zero)
     * the header cluster, whose refcount of 1 is all a 1-bit refcount can hold: qimg did, destroying the
     * image, and so does qemu-img 7.2 (its repaired file is no longer qcow2: "This image format does not
     * support checks"). qimg's repair must leave the undamaged guest data and fewer problems than before.
     */
    @Test
    void snapshotTableRewriteKeepsTheHeaderCluster() throws IOException {
        Path img = new DamageCase("rc1 snapshot table at offset 0", "rc1", e -> e.put32(60, 1)).applyTo(dir, "");
        Map<String, Object> before = json(Proc.run(dir, "qemu-img", "check", "--output=json", img.toString()).stdout());
        ProcResult m = Qimg.inProcess("check", "-r", "all", img.toString());
        assertThat(m.stderr()).doesNotContain("bad magic");
        ProcResult after = Proc.run(dir, "qemu-img", "check", "--output=json", img.toString());
        assertThat(after.exitCode()).as("qemu-img check after qimg's repair: %s", after.stderr()).isIn(0, 2, 3);
        Map<String, Object> aj = json(after.stdout());
        assertThat(((Number) aj.getOrDefault("corruptions", 0)).longValue())
                .isLessThan(((Number) before.get("corruptions")).longValue());
        assertThat(aj.get("leaks")).isNull();
        assertThat(Proc.run(dir, "qemu-img", "compare", dir.resolve("rc1.qcow2").toString(), img.toString())
                .exitCode()).isZero();
    }

    /**
     * A refcount block pointer past 2^63 (bit 63 set, cluster aligned): QEMU's read of the block fails
     * ("Can't get refcount ...") without a corruption event, which it signals only for an unaligned
     * pointer; qimg signalled "Refblock offset ... unaligned". Every stderr line must match here.
     */
    @Test
    void refcountBlockPastTwoToTheSixtyThreeIsNoUnalignedEvent() throws IOException {
        Path img = new DamageCase("refblock past 2^63", "plain", e -> e.put64(e.reftableOffset(), 0x80000000000a0000L))
                .applyTo(dir, "");
        ProcResult q = Proc.run(dir, "qemu-img", "check", img.toString());
        ProcResult m = Qimg.inProcess("check", img.toString());
        assertThat(m.exitCode()).isEqualTo(q.exitCode());
        assertThat(m.stderrLines().stream().map(l -> l.replace("qimg: ", "")).toList())
                .isEqualTo(q.stderrLines().stream().map(l -> l.replace("qemu-img: ", "")).toList());
    }

    /**
     * A refcount block pointer the file cannot grow to (past what the file system allows): with -r all,
     * QEMU reports the failed truncate ("Could not resize file: File too large") before its own ERROR line.
     * Only checked where qemu-img's truncate does fail (a file system with a size limit below 2^50, ext4).
     */
    @Test
    void failedResizeForAnOutsideRefcountBlockIsReportedAsQemuReportsIt() throws IOException {
        DamageCase c = new DamageCase("refblock at 2^50", "plain", e -> e.put64(e.reftableOffset() + 8, 1L << 50));
        Path theirs = c.applyTo(dir, "_theirs");
        Path ours = c.applyTo(dir, "_ours");
        ProcResult q = Proc.run(dir, "qemu-img", "check", "-r", "all", theirs.toString());
        org.junit.jupiter.api.Assumptions.assumeTrue(q.stderr().contains("Could not resize file: File too large"),
                "the file system let qemu-img grow the file to 1 PiB");
        ProcResult m = Qimg.inProcess("check", "-r", "all", ours.toString());
        assertThat(m.exitCode()).isEqualTo(q.exitCode());
        assertThat(lines(m.stderr()).subList(0, 3)).isEqualTo(lines(q.stderr()).subList(0, 3));
    }

    /**
     * l1_size raised so that the active L1 table runs over the following clusters and past the end of the
     * file (the check cannot count it), and a refcount zeroed so that -r all rebuilds the refcounts. The new
     * refcount table and blocks must not land inside the L1 table's span, where they would be read as L1
     * entries (qimg put them there; qemu-img's overlap check refuses that write and fails the repair).
     */
    @Test
    void refcountRebuildKeepsOutOfAnUncountedL1Table() throws IOException {
        long[] span = new long[2];
        Path img = new DamageCase("L1 past EOF and a refcount zeroed", "plain", e -> {
            // the L1 table now ends 2 clusters past the end of the file
            int entries = (int) ((e.fileLength() + 2 * e.clusterSize() - e.l1Offset()) / 8);
            e.put32(36, entries);
            span[0] = e.l1Offset();
            span[1] = e.l1Offset() + entries * 8L;
            e.setRefcount(dataCluster(e, 1), 0);
        }).applyTo(dir, "");
        ProcResult m = Qimg.inProcess("check", "-r", "all", img.toString());
        assertThat(m.stderr()).contains("Rebuilding refcount structure").doesNotContain("Exception");
        try (Qcow2Edit e = new Qcow2Edit(img)) {
            List<Long> placed = new java.util.ArrayList<>(List.of(e.reftableOffset()));
            for (long i = 0; i < (Integer.toUnsignedLong(e.u32(56)) * e.clusterSize()) / 8; i++) {
                long block = e.u64(e.reftableOffset() + 8 * i) & Qcow2Edit.OFFSET_MASK;
                if (block != 0) {
                    placed.add(block);
                }
            }
            assertThat(placed).as("refcount table and blocks after the rebuild")
                    .allSatisfy(off -> assertThat(off + e.clusterSize() <= span[0] || off >= span[1]).isTrue());
        }
    }

    /** An autoclear bit qimg does not know is cleared by a repair, as qemu-img clears it (qcow2 spec). */
    @Test
    void repairClearsUnknownAutoclearBits() throws IOException {
        DamageCase c = new DamageCase("unknown autoclear bit", "plain", e -> e.put64(88, e.u64(88) | 4));
        for (String mode : List.of("leaks", "all")) {
            Path ours = c.applyTo(dir, "_ours");
            Path theirs = c.applyTo(dir, "_theirs");
            Proc.ok(dir, "qemu-img", "check", "-r", mode, theirs.toString());
            assertThat(Qimg.inProcess("check", "-r", mode, ours.toString()).exitCode()).isZero();
            try (Qcow2Edit q = new Qcow2Edit(theirs); Qcow2Edit o = new Qcow2Edit(ours)) {
                assertThat(q.u64(88)).isZero();
                assertThat(o.u64(88)).as("autoclear after -r %s", mode).isEqualTo(q.u64(88));
            }
        }
    }

    @Test
    void rawHasNoCheckAndQuietPrintsNothing() throws IOException {
        Path raw = dir.resolve("disk.raw");
        Files.write(raw, new byte[4096]);
        ProcResult q = Proc.run(dir, "qemu-img", "check", raw.toString());
        ProcResult m = Qimg.inProcess("check", raw.toString());
        assertThat(m.exitCode()).isEqualTo(q.exitCode()).isEqualTo(63);
        assertThat(m.stderr()).isEqualTo(q.stderr().replace("qemu-img:", "qimg:"));
        Path leak = cases().filter(c -> c.name().startsWith("appended")).findFirst().orElseThrow().applyTo(dir, "_quiet");
        ProcResult quiet = Qimg.inProcess("check", "-q", leak.toString());
        assertThat(quiet.exitCode()).isEqualTo(3);
        assertThat(quiet.stdout()).isEmpty();
    }
}
