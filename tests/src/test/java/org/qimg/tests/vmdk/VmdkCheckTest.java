package org.qimg.tests.vmdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * {@code check} on VMDKs prints, and exits with, what qemu-img 7.2 does (vmdk_co_check): clean images in every
 * subformat, an image whose last grains were cut off ("ERROR: cluster offset for sector N points after EOF",
 * "Check failed: Invalid argument", exit 1), and {@code -r} (not supported: exit 63).
 */
class VmdkCheckTest {
    private static Path dir;
    private static Qemu q;

    @BeforeAll
    static void setUp() {
        Qemu.assumeInstalled();
        dir = Scratch.dir("vmdk-check");
        q = new Qemu(dir);
        Content.writeMixed(dir.resolve("src.raw"), 3 * 1024 * 1024 + 512, 21);
        for (String sub : List.of("monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
                "streamOptimized")) {
            q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + sub, "src.raw", sub + ".vmdk");
        }
        byte[] sparse = VmdkFiles.read(dir.resolve("monolithicSparse.vmdk"));
        VmdkFiles.write(dir.resolve("cut.vmdk"), java.util.Arrays.copyOf(sparse, sparse.length - 300_000));
        byte[] so = VmdkFiles.read(dir.resolve("streamOptimized.vmdk"));
        VmdkFiles.write(dir.resolve("so-cut.vmdk"), java.util.Arrays.copyOf(so, so.length / 2 / 512 * 512));
        VmdkFiles.text(dir.resolve("flat-beyond.vmdk"), VmdkFiles.descriptor("monolithicFlat",
                "RW 2048 FLAT \"src.raw\" 0", "RW 2048 FLAT \"src.raw\" 100000"));
    }

    static Stream<List<String>> runs() {
        return Stream.of("monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
                "streamOptimized", "cut", "so-cut", "flat-beyond").flatMap(n -> Stream.of(
                        List.of("check", n + ".vmdk"), List.of("check", "--output=json", n + ".vmdk"),
                        List.of("check", "-q", n + ".vmdk"), List.of("check", "-r", "all", n + ".vmdk")))
                // qemu-img -r opens flat-beyond's two extents of one file for writing: they lock each other out
                .filter(a -> !(a.contains("-r") && a.contains("flat-beyond.vmdk")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void checkMatchesQemuImg(List<String> args) {
        String[] a = args.stream().map(s -> s.endsWith(".vmdk") ? dir.resolve(s).toString() : s).toArray(String[]::new);
        ProcResult expected = q.imgResult(a);
        ProcResult actual = Qimg.inProcess(a);
        assertThat(actual.exitCode()).as(actual.describe() + "\nqemu-img: " + expected.describe())
                .isEqualTo(expected.exitCode());
        assertThat(actual.stdout()).isEqualTo(expected.stdout());
        assertThat(actual.stderr().replace("qimg: ", "qemu-img: ")).isEqualTo(expected.stderr());
    }
}
