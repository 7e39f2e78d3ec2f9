package org.qimg.tests.vmdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * Issue 12: malformed VMDKs, each made from a file qemu-img wrote by changing the bytes the case names, end
 * in one line on stderr that names the file and what is wrong, a non-zero exit and no stack trace, for every
 * command that reads the image. Where qemu-img refuses the file too, the case says so and the test checks it.
 */
class VmdkMalformedTest {
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w.$/]+\\(.*\\)$", Pattern.MULTILINE);
    private static Path dir;
    private static Qemu q;
    private static final List<Case> CASES = new ArrayList<>();

    /**
     * @param file     the image
     * @param says     text qimg's message must contain
     * @param qemuToo  true when qemu-img also refuses to convert the image
     */
    record Case(String name, String file, String says, boolean qemuToo) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void build() throws Exception {
        Qemu.assumeInstalled();
        dir = Scratch.dir("vmdk-malformed");
        q = new Qemu(dir);
        if (!CASES.isEmpty()) {
            return;
        }
        org.qimg.tests.support.Content.writeMixed(dir.resolve("src.raw"), 3 * 1024 * 1024, 7);
        q.img("convert", "-f", "raw", "-O", "vmdk", "src.raw", "sparse.vmdk");
        q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", "src.raw", "so.vmdk");
        byte[] sparse = VmdkFiles.read(dir.resolve("sparse.vmdk"));
        byte[] so = VmdkFiles.read(dir.resolve("so.vmdk"));
        long gdSector = VmdkFiles.le64(sparse, 56);

        // the file ends in the middle of its last grain
        patch("truncated-grain", java.util.Arrays.copyOf(sparse, sparse.length - 40_000), "past the end of the file",
                false);
        // grain directory entry 0 points far past the end of the file
        byte[] b = sparse.clone();
        VmdkFiles.put32(b, (int) (gdSector * 512), 0x00ffffffL);
        patch("gt-past-eof", b, "past the end", false);
        // the grain directory itself lies past the end
        b = sparse.clone();
        VmdkFiles.put64(b, 56, 1L << 40);
        patch("gd-past-eof", b, "grain directory", false);
        // capacity far beyond anything (2^62 sectors)
        b = sparse.clone();
        VmdkFiles.put64(b, 12, 1L << 62);
        patch("huge-capacity", b, "too large", true);
        b = sparse.clone();
        VmdkFiles.put64(b, 12, 1L << 45);
        patch("capacity-l1-too-big", b, "L1 size too big", true);
        // numGTEsPerGT 1024 ("L2 table size too big"), grain size 0, grain size 2^30 sectors, version 4
        b = sparse.clone();
        VmdkFiles.put32(b, 44, 1024);
        patch("gtes-1024", b, "L2 table size too big", true);
        b = sparse.clone();
        VmdkFiles.put64(b, 20, 0);
        patch("grain-0", b, "L1 entry size is invalid", true);
        b = sparse.clone();
        VmdkFiles.put64(b, 20, 1L << 30);
        patch("grain-huge", b, "Invalid granularity", true);
        b = sparse.clone();
        VmdkFiles.put32(b, 4, 4);
        patch("version-4", b, "Unsupported VMDK version 4", true);
        // overhead (first grain) beyond the end of the file
        b = sparse.clone();
        VmdkFiles.put64(b, 64, 1L << 30);
        patch("overhead-past-eof", b, "File truncated", true);
        // streamOptimized: a grain whose deflate data is damaged, a grain marker that claims too many bytes,
        // and a file whose footer was cut off
        long soGd = soGrainTableEntry(so);
        b = so.clone();
        for (int i = 40; i < 80; i++) {
            b[(int) (soGd * 512) + 12 + i] ^= 0x5a;
        }
        patch("so-bad-deflate", b, "does not decompress", true);
        b = so.clone();
        VmdkFiles.put32(b, (int) (soGd * 512) + 8, 1L << 30);
        patch("so-bad-marker", b, "grain marker", true);
        // the header says the grain directory is in the footer (GD_AT_END), but the file has none
        b = so.clone();
        VmdkFiles.put64(b, 56, -1L);
        patch("so-no-footer", b, "Invalid footer", true);
        // descriptors: no createType, an unknown create type, a broken extent line, no extent, a missing file
        text("no-create-type", "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\nRW 2048 FLAT \"src.raw\" 0\n",
                "invalid VMDK image descriptor", true);
        text("bad-create-type", VmdkFiles.descriptor("monolithicSparse", "RW 2048 FLAT \"src.raw\" 0"),
                "Unsupported image type 'monolithicSparse'", true);
        text("flat-without-offset", VmdkFiles.descriptor("monolithicFlat", "RW 2048 FLAT \"src.raw\""),
                "Invalid extent line", true);
        text("no-extents", VmdkFiles.descriptor("monolithicFlat", "RW 0 FLAT \"src.raw\" 0"), "no extent", false);
        text("missing-extent", VmdkFiles.descriptor("monolithicFlat", "RW 2048 FLAT \"gone.raw\" 0"), "gone.raw",
                true);
        text("no-cid", "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"src.raw\" 0\n",
                "CID", true);
        // a SPARSE extent that is a descriptor: a chain of descriptors qemu-img refuses
        text("sparse-is-descriptor", VmdkFiles.descriptor("twoGbMaxExtentSparse", "RW 2048 SPARSE \"no-extents.vmdk\""),
                "Image not in VMDK format", true);
        // extent loop: a sparse extent with capacity 0 whose embedded descriptor names the file itself
        b = sparse.clone();
        VmdkFiles.put64(b, 12, 0);
        byte[] desc = VmdkFiles.descriptor("twoGbMaxExtentSparse", "RW 8192 SPARSE \"loop.vmdk\"")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.Arrays.fill(b, 512, 512 + 20 * 512, (byte) 0);
        System.arraycopy(desc, 0, b, 512, desc.length);
        VmdkFiles.put64(b, 28, 1);
        patch("loop", b, "extent loop", false);
        // extents outside the descriptor's directory: absolute, "..", and a symbolic link leading out
        Path outside = Files.createDirectories(Scratch.dir("vmdk-outside"));
        Files.copy(dir.resolve("src.raw"), outside.resolve("secret.raw"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        text("absolute-path", VmdkFiles.descriptor("monolithicFlat", "RW 2048 FLAT \"" + outside.resolve("secret.raw")
                + "\" 0"), "outside the directory", false);
        text("dotdot-path", VmdkFiles.descriptor("monolithicFlat", "RW 2048 FLAT \"../vmdk-outside/secret.raw\" 0"),
                "outside the directory", false);
        Files.deleteIfExists(dir.resolve("link.raw"));
        Files.createSymbolicLink(dir.resolve("link.raw"), outside.resolve("secret.raw"));
        text("symlink-out", VmdkFiles.descriptor("monolithicFlat", "RW 2048 FLAT \"link.raw\" 0"),
                "outside the directory", false);
        // a parent that names the image itself
        text("parent-loop", "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\nparentFileNameHint=\"parent-loop.vmdk\""
                + "\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"src.raw\" 0\n", "loop", false);
    }

    /** The sector of the first grain marker of a streamOptimized file made by qemu-img (right after its header area). */
    private static long soGrainTableEntry(byte[] so) {
        long overhead = VmdkFiles.le64(so, 64);
        return overhead;
    }

    private static void patch(String name, byte[] bytes, String says, boolean qemuToo) {
        String f = name + ".vmdk";
        VmdkFiles.write(dir.resolve(f), bytes);
        CASES.add(new Case(name, f, says, qemuToo));
    }

    private static void text(String name, String text, String says, boolean qemuToo) {
        String f = name + ".vmdk";
        VmdkFiles.text(dir.resolve(f), text);
        CASES.add(new Case(name, f, says, qemuToo));
    }

    static Stream<Arguments> casesAndCommands() throws Exception {
        build();
        List<List<String>> commands = List.of(List.of("convert", "-O", "raw"), List.of("info"),
                List.of("map", "--output=json"), List.of("checksum"), List.of("compare"));
        List<Arguments> out = new ArrayList<>();
        for (Case c : CASES) {
            for (List<String> cmd : commands) {
                out.add(Arguments.of(c, cmd));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("casesAndCommands")
    void failsCleanly(Case c, List<String> command) throws Exception {
        List<String> args = new ArrayList<>(command);
        String file = dir.resolve(c.file()).toString();
        args.add(file);
        Path out = dir.resolve(c.name() + ".out.raw");
        Files.deleteIfExists(out);
        if (command.get(0).equals("convert")) {
            args.add(out.toString());
        } else if (command.get(0).equals("compare")) {
            args.add(dir.resolve("src.raw").toString());
        }
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        // qemu-img hangs on this one (its parent chain loops): qimg's convert refuses it
        boolean infoOnly = command.get(0).equals("info")
                && List.of("truncated-grain", "gt-past-eof", "so-bad-deflate", "so-bad-marker", "parent-loop")
                .contains(c.name());
        boolean mapOk = command.get(0).equals("map")
                && List.of("truncated-grain", "so-bad-deflate", "so-bad-marker").contains(c.name());
        if (infoOnly || mapOk) {
            // the damage is in guest data, which info and map do not read
            assertThat(r.exitCode()).as(r.describe()).isZero();
            return;
        }
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
        assertThat(r.stderr()).as(r.describe()).contains(c.says()).contains(c.file());
        assertThat(r.stderr().strip().lines().count()).as(r.describe()).isEqualTo(1);
        assertThat(STACK_FRAME.matcher(r.stderr()).find()).as(r.describe()).isFalse();
        assertThat(r.stderr()).doesNotContain("Exception");
        assertThat(Files.exists(out)).isFalse();
    }

    /**
     * Random damage to the metadata of a monolithicSparse and a streamOptimized file (header, descriptor,
     * grain directory and tables, first grains): every convert either succeeds or fails with one clean line,
     * and none hangs.
     */
    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("mutations")
    void randomDamageFailsCleanlyOrReads(String source, long seed) throws Exception {
        byte[] b = VmdkFiles.read(dir.resolve(source));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        int flips = 1 + rnd.nextInt(4);
        for (int i = 0; i < flips; i++) {
            int at = rnd.nextBoolean() ? rnd.nextInt(80) : rnd.nextInt(Math.min(b.length, 80_000));
            b[at] = (byte) (rnd.nextBoolean() ? rnd.nextInt(256) : b[at] ^ (1 << rnd.nextInt(8)));
        }
        Path f = dir.resolve("fuzz-" + source);
        VmdkFiles.write(f, b);
        Path out = dir.resolve("fuzz.out.raw");
        Files.deleteIfExists(out);
        ProcResult r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> Qimg.inProcess("convert", "-O", "raw", f.toString(), out.toString()));
        if (r.exitCode() != 0) {
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.stderr().strip().lines().count()).as(r.describe()).isEqualTo(1);
            assertThat(r.stderr()).as(r.describe()).doesNotContain("Exception").contains("fuzz-" + source);
            assertThat(STACK_FRAME.matcher(r.stderr()).find()).isFalse();
        }
    }

    static Stream<Arguments> mutations() {
        return Stream.of("sparse.vmdk", "so.vmdk").flatMap(s -> java.util.stream.LongStream.range(0, 60)
                .mapToObj(seed -> Arguments.of(s, seed)));
    }

    static Stream<Case> cases() throws Exception {
        build();
        return CASES.stream().filter(Case::qemuToo);
    }

    /** The cases qemu-img refuses as well (so that qimg's refusal is not a bug of its own). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void qemuImgRefusesThemToo(Case c) {
        ProcResult r = q.imgResult("convert", "-O", "raw", dir.resolve(c.file()).toString(),
                dir.resolve(c.name() + ".qemu.raw").toString());
        assertThat(r.exitCode()).as(r.describe()).isNotZero();
    }
}
