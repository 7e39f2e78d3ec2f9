package org.qimg.tests.inplace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * {@code qimg convert -n -O qcow2} into existing qcow2 images made by qemu-img/qemu-io: the result must pass
 * {@code qemu-img check}, read like the source ({@code qemu-img compare}), read like what
 * {@code qemu-img convert -n} makes of the same target, and refusals must leave the target untouched.
 */
class ConvertInPlaceTest {
    private static final long MIB = 1 << 20;
    private static Path dir;
    private static Qemu qemu;
    private static Path src;
    private static Path srcRaw;

    @BeforeAll
    static void source() {
        dir = Scratch.dir("inplace");
        qemu = new Qemu(dir);
        Path mixed = dir.resolve("mixed.raw");
        Content.writeMixed(mixed, 4 * MIB, 7);
        src = dir.resolve("src.qcow2");
        qemu.img("convert", "-f", "raw", "-O", "qcow2", mixed.toString(), src.toString());
        // explicit zero clusters and more data on top of the mixed content
        qemu.io(src, "qcow2", "write -z 1M 256k", "write -P 0x11 2M 64k", "write -z 3M 4k");
        srcRaw = dir.resolve("src.raw");
        qemu.img("convert", "-O", "raw", src.toString(), srcRaw.toString());
    }

    /** name, -o options for qemu-img create, prefill: none / io (qemu-io writes) / compressed (convert -c). */
    static Stream<Arguments> targets() {
        List<Arguments> a = new ArrayList<>();
        String[][] t = {
            {"v3-64k-empty", "cluster_size=65536", "none"},
            {"v3-64k-io", "cluster_size=65536", "io"},
            {"v3-4k-rc64-io", "cluster_size=4096,refcount_bits=64", "io"},
            {"v3-4k-compressed", "cluster_size=4096", "compressed"},
            {"v3-64k-zstd-compressed", "cluster_size=65536,compression_type=zstd", "compressed"},
            {"v2-64k-io", "compat=0.10,cluster_size=65536", "io"},
            {"v2-4k-compressed", "compat=0.10,cluster_size=4096", "compressed"},
            {"v2-64k-empty", "compat=0.10,cluster_size=65536", "none"},
            {"v3-4k-rc1-io", "cluster_size=4096,refcount_bits=1", "io"},
            {"v3-64k-lazy-io", "cluster_size=65536,lazy_refcounts=on", "io"},
        };
        for (String[] x : t) {
            for (boolean compress : new boolean[] {false, true}) {
                a.add(Arguments.of(x[0], x[1], x[2], compress));
            }
        }
        return a.stream();
    }

    private static Path makeTarget(String name, String opts, String prefill, long size) {
        Path target = dir.resolve(name + ".qcow2");
        if (prefill.equals("compressed")) {
            Path raw = dir.resolve(name + "-fill.raw");
            Content.writeMixed(raw, size, 99);
            qemu.img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", opts, raw.toString(), target.toString());
        } else {
            qemu.img("create", "-q", "-f", "qcow2", "-o", opts, target.toString(), Long.toString(size));
            if (prefill.equals("io")) {
                qemu.io(target, "qcow2", "write -P 0x5a 0 1M", "write -P 0x6b 1984k 640k", "write -z 3M 128k",
                        "write -P 0x7c " + (size - 64 * 1024) + " 64k");
            }
        }
        return target;
    }

    private static ProcResult qimg(String... args) {
        return Qimg.inProcess(args);
    }

    /** {@code convert -n -O qcow2 [-c] SRC DST}: the same arguments for qimg and qemu-img. */
    private static String[] convertNArgs(Path src, Path target, boolean compress) {
        List<String> args = new ArrayList<>(List.of("convert", "-n", "-O", "qcow2"));
        if (compress) {
            args.add("-c");
        }
        args.addAll(List.of(src.toString(), target.toString()));
        return args.toArray(String[]::new);
    }

    /** Runs qimg's in-place convert, which must succeed and leave {@code qemu-img check} clean. */
    private static void convertInPlaceClean(Path src, Path target, boolean compress) {
        ProcResult r = qimg(convertNArgs(src, target, compress));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertClean(target);
    }

    private static void assertClean(Path image) {
        ProcResult r = qemu.imgResult("check", image.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("No errors were found on the image.");
    }

    private static void assertSameGuest(Path a, Path b) {
        ProcResult r = qemu.imgResult("compare", a.toString(), b.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
    }

    @ParameterizedTest(name = "{0} -c={3}")
    @MethodSource("targets")
    void convertsIntoExistingImage(String name, String opts, String prefill, boolean compress) throws Exception {
        String tag = name + (compress ? "-c" : "");
        Path target = makeTarget(tag, opts, prefill, 4 * MIB);
        Path byQemu = dir.resolve(tag + "-qemu.qcow2");
        Files.copy(target, byQemu, StandardCopyOption.REPLACE_EXISTING);
        convertInPlaceClean(src, target, compress);
        assertSameGuest(src, target);

        ProcResult qr = qemu.imgResult(convertNArgs(src, byQemu, compress));
        if (compress && !prefill.equals("none")) {
            // qemu-img cannot write a compressed cluster over an allocated one ("Compression can't overwrite
            // anything"): it fails where qimg replaces the cluster
            assertThat(qr.exitCode()).as(qr.describe()).isNotZero();
            assertThat(qr.stderr()).contains("Input/output error");
        } else {
            assertThat(qr.exitCode()).as(qr.describe()).isZero();
            assertSameGuest(byQemu, target);
        }
    }

    @Test
    void targetIsZeroSkipsZeroRangesOfAFreshTarget() {
        Path target = makeTarget("tiz", "cluster_size=65536", "none", 4 * MIB);
        ProcResult r = qimg("convert", "-n", "--target-is-zero", "-O", "qcow2", src.toString(), target.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertClean(target);
        assertSameGuest(src, target);
        // nothing but data was written: no zero clusters in the map
        String map = qemu.img("map", "--output=json", target.toString());
        Path plain = makeTarget("tiz-plain", "cluster_size=65536", "none", 4 * MIB);
        qimg("convert", "-n", "-O", "qcow2", src.toString(), plain.toString()).requireSuccess();
        String plainMap = qemu.img("map", "--output=json", plain.toString());
        assertThat(map).doesNotContain("\"zero\": true, \"data\": false, \"offset\"");
        assertThat(count(plainMap, "\"zero\": true")).isGreaterThan(0);
    }

    private static int count(String s, String what) {
        return s.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("largerTargets")
    void largerTargetKeepsItsTail(String name, String opts, String prefill, boolean compress) throws Exception {
        long size = 6 * MIB;
        Path target = makeTarget("big-" + name, opts, prefill, size);
        Path before = dir.resolve("big-" + name + "-before.raw");
        qemu.img("convert", "-O", "raw", target.toString(), before.toString());
        convertInPlaceClean(src, target, compress);
        Path after = dir.resolve("big-" + name + "-after.raw");
        qemu.img("convert", "-O", "raw", target.toString(), after.toString());
        byte[] a = Files.readAllBytes(after);
        byte[] b = Files.readAllBytes(before);
        byte[] s = Files.readAllBytes(srcRaw);
        assertThat(a.length).isEqualTo((int) size);
        assertThat(Arrays.mismatch(Arrays.copyOf(a, s.length), s)).as("first SRC-size bytes").isEqualTo(-1);
        assertThat(Arrays.mismatch(Arrays.copyOfRange(a, s.length, a.length), Arrays.copyOfRange(b, s.length,
                b.length))).as("tail").isEqualTo(-1);
        // qemu-img convert -n leaves the tail alone too
        Path byQemu = makeTarget("bigq-" + name, opts, prefill, size);
        ProcResult qr = qemu.imgResult(convertNArgs(src, byQemu, compress));
        if (qr.exitCode() == 0) {
            assertSameGuest(byQemu, target);
        }
    }

    static Stream<Arguments> largerTargets() {
        return Stream.of(
                Arguments.of("v3-io", "cluster_size=65536", "io", false),
                Arguments.of("v3-compressed-c", "cluster_size=4096", "compressed", true),
                Arguments.of("v2-io", "compat=0.10,cluster_size=65536", "io", false));
    }

    @Test
    void partialLastClusterOfTheSourceKeepsTheTargetsBytesAfterIt() throws Exception {
        // source of 4 MiB + 1536 bytes into a 6 MiB target with 64 KiB clusters, prefilled there
        Path odd = dir.resolve("odd.raw");
        Content.writeMixed(odd, 4 * MIB + 1536, 3);
        Path target = makeTarget("odd-target", "cluster_size=65536", "none", 6 * MIB);
        qemu.io(target, "qcow2", "write -P 0x42 4M 64k");
        Path before = dir.resolve("odd-before.raw");
        qemu.img("convert", "-O", "raw", target.toString(), before.toString());
        ProcResult r = qimg("convert", "-n", "-f", "raw", "-O", "qcow2", odd.toString(), target.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertClean(target);
        Path after = dir.resolve("odd-after.raw");
        qemu.img("convert", "-O", "raw", target.toString(), after.toString());
        byte[] a = Files.readAllBytes(after);
        byte[] b = Files.readAllBytes(before);
        byte[] s = Files.readAllBytes(odd);
        assertThat(Arrays.mismatch(Arrays.copyOf(a, s.length), s)).isEqualTo(-1);
        assertThat(Arrays.mismatch(Arrays.copyOfRange(a, s.length, a.length), Arrays.copyOfRange(b, s.length,
                b.length))).isEqualTo(-1);

        // compressed output cannot keep the rest of that allocated cluster: refused before anything is written
        Path t2 = makeTarget("odd-target-c", "cluster_size=65536", "none", 6 * MIB);
        qemu.io(t2, "qcow2", "write -P 0x42 4M 64k");
        assertRefusedUnchanged(t2, "cannot keep", "convert", "-n", "-c", "-f", "raw", "-O", "qcow2",
                odd.toString(), t2.toString());
    }

    private static void assertRefusedUnchanged(Path target, String message, String... args) {
        String md5 = Digests.md5(target);
        ProcResult r = qimg(args);
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).contains(message);
        assertThat(r.stderrLines()).hasSize(1);
        assertThat(Digests.md5(target)).as("target bytes").isEqualTo(md5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlayTargets")
    void targetWithItsOwnBackingFileHidesItWhereTheSourceReadsZero(String name, String compat) {
        Path base = dir.resolve("base-" + name + ".qcow2");
        qemu.img("create", "-q", "-f", "qcow2", base.toString(), Long.toString(4 * MIB));
        qemu.io(base, "qcow2", "write -P 0x44 0 4M");
        Path target = dir.resolve("overlay-" + name + ".qcow2");
        qemu.img("create", "-q", "-f", "qcow2", "-o", compat, "-b", base.getFileName().toString(), "-F", "qcow2",
                target.toString());
        qemu.io(target, "qcow2", "write -P 0x55 1M 1M");
        ProcResult r = qimg("convert", "-n", "-O", "qcow2", src.toString(), target.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertClean(target);
        assertSameGuest(src, target);
        assertThat(qemu.img("info", target.toString())).contains("backing file: " + base.getFileName());
    }

    static Stream<Arguments> overlayTargets() {
        return Stream.of(Arguments.of("v3", "compat=1.1"), Arguments.of("v2", "compat=0.10"));
    }

    @Test
    void refusesDirtyImages() throws Exception {
        Path target = makeTarget("dirty", "cluster_size=65536,lazy_refcounts=on", "io", 4 * MIB);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(target.toFile(), "rw")) {
            f.seek(72); // incompatible_features, bit 0 = dirty
            f.writeLong(1);
        }
        assertRefusedUnchanged(target, "dirty", "convert", "-n", "-O", "qcow2", src.toString(), target.toString());
    }

    @Test
    void refusesImagesWithPersistentBitmaps() {
        Path target = makeTarget("bitmap", "cluster_size=65536", "io", 4 * MIB);
        qemu.img("bitmap", "--add", target.toString(), "b0");
        assertRefusedUnchanged(target, "bitmaps", "convert", "-n", "-O", "qcow2", src.toString(), target.toString());
    }

    @Test
    void refusesACorruptL2EntryBeforeWritingAnything() throws Exception {
        Path target = makeTarget("badl2", "cluster_size=65536", "io", 4 * MIB);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(target.toFile(), "rw")) {
            f.seek(40); // l1_table_offset
            f.seek(f.readLong());
            long l2 = f.readLong() & 0x00fffffffffffe00L;
            f.seek(l2 + 8 * 20); // guest cluster 20: a reserved bit (1) set in a standard entry
            long e = f.readLong();
            f.seek(l2 + 8 * 20);
            f.writeLong(e | 2);
        }
        assertRefusedUnchanged(target, "L2 entry", "convert", "-n", "-O", "qcow2", src.toString(),
                target.toString());
    }

    @Test
    void refusesImagesWithSnapshots() {
        Path target = makeTarget("snap", "cluster_size=65536", "io", 4 * MIB);
        qemu.img("snapshot", "-c", "s1", target.toString());
        assertRefusedUnchanged(target, "snapshot", "convert", "-n", "-O", "qcow2", src.toString(), target.toString());
    }

    @Test
    void refusesTooSmallTarget() {
        Path target = makeTarget("small", "cluster_size=65536", "none", 2 * MIB);
        qemu.io(target, "qcow2", "write -P 0x5a 0 1M");
        assertRefusedUnchanged(target, "output file is smaller than input file", "convert", "-n", "-O", "qcow2",
                src.toString(), target.toString());
    }

    @Test
    void refusesExtendedL2() {
        Path target = makeTarget("extl2", "cluster_size=65536,extended_l2=on", "io", 4 * MIB);
        assertRefusedUnchanged(target, "extended L2", "convert", "-n", "-O", "qcow2", src.toString(),
                target.toString());
    }

    @Test
    void refusesMissingTarget() {
        ProcResult r = qimg("convert", "-n", "-O", "qcow2", src.toString(), dir.resolve("nope.qcow2").toString());
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("No such file or directory");
    }

    /**
     * 512-byte clusters: every 128 KiB (16-bit) or 32 KiB (64-bit) of new clusters needs a new refcount block,
     * and with 64-bit refcounts the one-cluster refcount table (2 MiB of reach) has to be rebuilt larger.
     */
    @ParameterizedTest(name = "{0} -c={1}")
    @MethodSource("smallClusters")
    void smallClustersNeedNewRefcountBlocksAndALargerTable(String refcountBits, boolean compress) throws Exception {
        String tag = "tiny-rc" + refcountBits + (compress ? "-c" : "");
        Path target = makeTarget(tag, "cluster_size=512,refcount_bits=" + refcountBits, "none", 4 * MIB);
        long tableBefore = refcountTableOffset(target);
        convertInPlaceClean(src, target, compress);
        assertSameGuest(src, target);
        if (refcountBits.equals("64") && !compress) {
            assertThat(refcountTableOffset(target)).as("refcount table moved").isNotEqualTo(tableBefore);
        }
    }

    private static long refcountTableOffset(Path image) throws Exception {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "r")) {
            f.seek(48);
            return f.readLong();
        }
    }

    static Stream<Arguments> smallClusters() {
        return Stream.of(Arguments.of("16", false), Arguments.of("64", false), Arguments.of("64", true));
    }
}
