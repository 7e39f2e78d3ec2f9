package org.qimg.tests.vmdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * Issue 12 (reading): VMDKs made by qemu-img and qemu-io in every subformat qemu-img writes, and the vmfs and
 * vmfsSparse descriptors it reads, read by qimg exactly as qemu-img reads them: {@code convert -O raw} gives
 * the bytes of {@code qemu-img convert -O raw}, and {@code info --output=json} and {@code map --output=json}
 * print what qemu-img prints.
 */
class VmdkOracleTest {
    private static Path dir;
    private static Qemu q;
    /** 5 MiB and 1536 bytes: not a whole number of 64 KiB grains, so the last grain is partial. */
    private static final long SIZE = 5 * 1024 * 1024 + 1536;

    @BeforeAll
    static void setUp() {
        Qemu.assumeInstalled();
        dir = Scratch.dir("vmdk-oracle");
        q = new Qemu(dir);
        Content.writeMixed(dir.resolve("src.raw"), SIZE, 12);
        for (String sub : List.of("monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
                "streamOptimized")) {
            q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + sub, "src.raw", sub + ".vmdk");
        }
        q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "zeroed_grain=on", "src.raw", "zeroed.vmdk");
        q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "compat6=on,adapter_type=lsilogic", "src.raw", "compat6.vmdk");
        // zeroed grains and a parent chain written by qemu-io
        q.img("create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", "base.vmdk", "4M");
        io("base.vmdk", "write -P 0x11 0 3M", "write -z 1M 192k", "write -P 0x12 3100k 5k");
        q.img("create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", "mid.vmdk");
        io("mid.vmdk", "write -P 0x22 1M 1M", "write -P 0x23 3999k 1k");
        q.img("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "-b", "mid.vmdk", "-F", "vmdk",
                "top.vmdk");
        io("top.vmdk", "write -P 0x33 64k 512", "write -P 0x34 2M 300k");
        // a streamOptimized image with zero and partial grains, written by qemu-img from a qcow2 source
        q.img("create", "-q", "-f", "qcow2", "holes.qcow2", "3M");
        io("holes.qcow2", "write -P 0x55 4k 4k", "write -P 0x56 1M 70k", "write -z 2M 64k");
        q.img("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", "holes.qcow2", "holes-so.vmdk");
        // streamOptimized as VMware writes it: the header says GD_AT_END and a footer at the end holds the offset
        VmdkFiles.write(dir.resolve("so-footer.vmdk"), VmdkFiles.withFooter(VmdkFiles.read(dir.resolve(
                "streamOptimized.vmdk"))));
        // vmfs (a flat VMFS extent) and vmfsSparse (a COWD extent) descriptors, which qemu-img reads but not writes
        Content.writeMixed(dir.resolve("vmfs-flat.vmdk"), 2 * 1024 * 1024, 3);
        VmdkFiles.text(dir.resolve("vmfs.vmdk"), VmdkFiles.descriptor("vmfs", "RW 4096 VMFS \"vmfs-flat.vmdk\""));
        VmdkFiles.cowd(dir.resolve("delta-cowd.vmdk"), 70_000, new int[] {0, 3, 100, 4095, 4096, 8191}, 5);
        VmdkFiles.text(dir.resolve("vmfssparse.vmdk"), VmdkFiles.descriptor("vmfsSparse",
                "RW 70000 VMFSSPARSE \"delta-cowd.vmdk\""));
        // a hand-written monolithicFlat descriptor: several extents over one file, offsets, a zero-length line
        VmdkFiles.text(dir.resolve("multi.vmdk"), VmdkFiles.descriptor("monolithicFlat",
                "RW 2048 FLAT \"src.raw\" 0", "RW 2048 ZERO", "RDONLY 2048 FLAT \"src.raw\" 0",
                "RW 1024 FLAT \"src.raw\" 4096", "RW 4096 FLAT \"src.raw\" 9000"));
    }

    private static void io(String image, String... commands) {
        List<String> args = new ArrayList<>();
        for (String c : commands) {
            args.add("-c");
            args.add(c);
        }
        args.add(image);
        ProcResult r = org.qimg.tests.support.Proc.run(dir, cmd(Qemu.QEMU_IO, args));
        r.requireSuccess();
    }

    private static List<String> cmd(String program, List<String> args) {
        List<String> l = new ArrayList<>();
        l.add(program);
        l.addAll(args);
        return l;
    }

    static Stream<String> images() {
        return Stream.of("monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
                "streamOptimized", "so-footer", "zeroed", "compat6", "base", "mid", "top", "holes-so", "vmfs", "vmfssparse",
                "multi");
    }

    private static String file(String name) {
        return dir.resolve(name + ".vmdk").toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void convertToRawMatchesQemuImg(String name) {
        Path expected = dir.resolve(name + ".qemu.raw");
        Path actual = dir.resolve(name + ".qimg.raw");
        q.img("convert", "-O", "raw", file(name), expected.toString());
        Qimg.inProcess("convert", "-O", "raw", file(name), actual.toString()).requireSuccess();
        assertThat(Digests.md5(actual)).as(name).isEqualTo(Digests.md5(expected));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void infoJsonMatchesQemuImg(String name) {
        JsonNode expected = JsonCompare.parse(q.img("info", "--output=json", file(name)), "qemu-img info");
        JsonNode actual = JsonCompare.parse(Qimg.inProcess("info", "--output=json", file(name)).requireSuccess()
                .stdout(), "qimg info");
        assertThat(JsonCompare.differences(expected, actual)).as(name).isEmpty();
        assertThat(actual.toString()).isEqualTo(expected.toString()); // key order too
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void infoHumanMatchesQemuImg(String name) {
        String expected = q.img("info", file(name));
        String actual = Qimg.inProcess("info", file(name)).requireSuccess().stdout();
        assertThat(actual).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapJsonMatchesQemuImg(String name) {
        String expected = q.img("map", "--output=json", file(name));
        String actual = Qimg.inProcess("map", "--output=json", file(name)).requireSuccess().stdout();
        assertThat(actual).isEqualTo(expected);
    }

    /** Human map names the extent file of every run (qemu-img refuses images with compressed grains). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapHumanMatchesQemuImg(String name) {
        ProcResult expected = q.imgResult("map", file(name));
        ProcResult actual = Qimg.inProcess("map", file(name));
        assertThat(actual.exitCode()).as(actual.describe()).isEqualTo(expected.exitCode());
        assertThat(actual.stdout()).isEqualTo(expected.stdout());
        assertThat(actual.stderr().replace("qimg: ", "qemu-img: ")).isEqualTo(expected.stderr());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void compareAndChecksumAgreeWithTheRawCopy(String name) {
        Path raw = dir.resolve(name + ".cmp.raw");
        q.img("convert", "-O", "raw", file(name), raw.toString());
        ProcResult c = Qimg.inProcess("compare", file(name), raw.toString());
        assertThat(c.exitCode()).as(c.describe()).isZero();
        String a = Qimg.inProcess("checksum", file(name)).requireSuccess().stdout().split(" ")[0];
        String b = Qimg.inProcess("checksum", "-f", "raw", raw.toString()).requireSuccess().stdout().split(" ")[0];
        assertThat(a).isEqualTo(b);
    }

    /** The whole parent chain (a twoGbMaxExtentSparse over two monolithicSparse parents), as qemu-img lists it. */
    @Test
    void infoBackingChainMatchesQemuImg() {
        String expected = q.img("info", "--backing-chain", "--output=json", file("top"));
        String actual = Qimg.inProcess("info", "--backing-chain", "--output=json", file("top")).requireSuccess()
                .stdout();
        assertThat(actual).isEqualTo(expected);
        assertThat(Qimg.inProcess("info", "--backing-chain", file("top")).requireSuccess().stdout())
                .isEqualTo(q.img("info", "--backing-chain", file("top")));
    }

    /** Compressed grains go through the convert pipeline: into a compressed qcow2 and back, as qemu-img reads. */
    @Test
    void streamOptimizedConvertsToCompressedQcow2() {
        Path out = dir.resolve("so.qcow2");
        Qimg.inProcess("convert", "-c", "-O", "qcow2", file("streamOptimized"), out.toString()).requireSuccess();
        ProcResult r = q.imgResult("compare", "-f", "qcow2", "-F", "raw", out.toString(), dir.resolve("src.raw")
                .toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(q.imgResult("check", out.toString()).exitCode()).isZero();
    }

    /**
     * Larger than 2 GiB: qemu-img splits twoGbMaxExtent* images into several extent files; writes straddle the
     * boundary between two extents. qemu-img itself compares qimg's raw copy with the VMDK.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bigSubformats")
    void splitImagesAboveTwoGiBReadAsQemuReadsThem(String sub) {
        String name = "big-" + sub + ".vmdk";
        q.img("create", "-q", "-f", "vmdk", "-o", "subformat=" + sub, name, "5G");
        io(name, "write -P 0x61 0 64k", "write -P 0x62 2047M 2M", "write -P 0x63 4607M 1M", "write -P 0x64 5119M 1M");
        Path raw = dir.resolve(name + ".raw");
        Qimg.inProcess("convert", "-O", "raw", dir.resolve(name).toString(), raw.toString()).requireSuccess();
        ProcResult r = q.imgResult("compare", "-f", "vmdk", "-F", "raw", dir.resolve(name).toString(), raw.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        String expected = q.img("map", "--output=json", dir.resolve(name).toString());
        assertThat(Qimg.inProcess("map", "--output=json", dir.resolve(name).toString()).requireSuccess().stdout())
                .isEqualTo(expected);
        JsonNode ei = JsonCompare.parse(q.img("info", "--output=json", dir.resolve(name).toString()), "qemu-img");
        JsonNode ai = JsonCompare.parse(Qimg.inProcess("info", "--output=json", dir.resolve(name).toString())
                .requireSuccess().stdout(), "qimg");
        assertThat(JsonCompare.differences(ei, ai)).isEmpty();
    }

    static Stream<String> bigSubformats() {
        return Stream.of("twoGbMaxExtentSparse", "twoGbMaxExtentFlat");
    }

    /** A descriptor may name files outside its directory only when the user allows it. */
    @Test
    void extentOutsideTheDirectoryNeedsThePermission() throws Exception {
        Path sub = java.nio.file.Files.createDirectories(dir.resolve("inner"));
        VmdkFiles.text(sub.resolve("out.vmdk"), VmdkFiles.descriptor("monolithicFlat", "RW 4096 FLAT \"../src.raw\" 0"));
        String f = sub.resolve("out.vmdk").toString();
        ProcResult refused = Qimg.inProcess("info", f);
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.stderr()).contains("out.vmdk").contains("outside the directory")
                .contains("QIMG_VMDK_ALLOW_EXTENTS_OUTSIDE");
        System.setProperty("qimg.vmdk.allowExtentsOutside", "true");
        try {
            Path expected = dir.resolve("out.qemu.raw");
            Path actual = dir.resolve("out.qimg.raw");
            q.img("convert", "-O", "raw", f, expected.toString());
            Qimg.inProcess("convert", "-O", "raw", f, actual.toString()).requireSuccess();
            assertThat(Digests.md5(actual)).isEqualTo(Digests.md5(expected));
        } finally {
            System.clearProperty("qimg.vmdk.allowExtentsOutside");
        }
    }
}
