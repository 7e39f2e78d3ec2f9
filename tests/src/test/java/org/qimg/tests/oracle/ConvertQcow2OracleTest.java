package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * {@code qimg convert -O qcow2} (plain and compressed): the output must pass {@code qemu-img check}, hold
 * the source's content ({@code qemu-img compare}), and, since qimg lays out clusters as qemu-img does
 * (DESIGN.md section 2), be byte-identical to {@code qemu-img convert} with the same options.
 */
class ConvertQcow2OracleTest {

    /** Plain and zlib on every image; zstd and a non-default cluster size on a spread of them. */
    static Stream<Arguments> conversions() {
        List<Arguments> l = new ArrayList<>();
        for (OracleImage i : OracleImages.all()) {
            l.add(Arguments.of(i, List.of()));
            l.add(Arguments.of(i, List.of("-c")));
        }
        for (String name : List.of("v3-c4k", "v3-c2M", "zlib-c64k", "chain3", "snapshots", "raw-holes",
                "raw-unaligned-length", "v3-c64k-extl2")) {
            l.add(Arguments.of(OracleImages.named(name), List.of("-c", "-o", "compression_type=zstd")));
            l.add(Arguments.of(OracleImages.named(name), List.of("-o", "cluster_size=4096")));
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("conversions")
    void qcow2OutputIsValidCompleteAndLaidOutAsQemuImgDoes(OracleImage image, List<String> options)
            throws Exception {
        Path src = image.path();
        Path out = Scratch.dir("convert-qcow2/" + image.name());
        String tag = String.join("", options).replaceAll("[^A-Za-z0-9]", "_");
        Path expected = out.resolve("qemu" + tag + ".qcow2");
        Path actual = out.resolve("qimg" + tag + ".qcow2");
        Files.deleteIfExists(actual);
        Files.deleteIfExists(expected);
        Qemu q = new Qemu(out);
        q.img(args("-O", "qcow2", options, src, expected));

        Qimg.inProcess(args("-O", "qcow2", options, src, actual)).requireSuccess();

        try {
            ProcResult check = q.imgResult("check", actual.toString());
            assertThat(check.exitCode()).as("qemu-img check of qimg's output\n%s", check.describe()).isZero();
            ProcResult compare = q.imgResult("compare", "-f", image.format(), "-F", "qcow2", src.toString(),
                    actual.toString());
            assertThat(compare.exitCode()).as("qemu-img compare source vs qimg's output\n%s",
                    compare.describe()).isZero();
            assertThat(Digests.md5(actual))
                    .as("md5 of qimg's qcow2 vs qemu-img's (sizes %d vs %d, first difference at byte %d)",
                            Files.size(actual), Files.size(expected), Digests.firstDifference(expected, actual))
                    .isEqualTo(Digests.md5(expected));
        } finally {
            Files.deleteIfExists(actual);
            Files.deleteIfExists(expected);
        }
    }

    /**
     * {@code -W} (out-of-order writes) is accepted, as scripts written for qemu-img pass it with {@code -c}.
     * qemu-img's own output then depends on which write lands first, so only validity and content count.
     */
    @Test
    void outOfOrderWritesOptionIsAccepted() throws Exception {
        OracleImage image = OracleImages.named("v3-c4k");
        Path out = Scratch.dir("convert-qcow2/W");
        Path actual = out.resolve("qimg-W.qcow2");
        Files.deleteIfExists(actual);
        Qimg.inProcess(args("-O", "qcow2", List.of("-c", "-W", "-m", "4"), image.path(), actual)).requireSuccess();
        Qemu q = new Qemu(out);
        assertThat(q.imgResult("check", actual.toString()).exitCode()).isZero();
        assertThat(q.imgResult("compare", "-f", image.format(), image.path().toString(), actual.toString())
                .exitCode()).isZero();
        Files.deleteIfExists(actual);
    }

    private static String[] args(String o, String fmt, List<String> options, Path src, Path dst) {
        List<String> a = new ArrayList<>(List.of("convert", o, fmt));
        a.addAll(options);
        a.add(src.toString());
        a.add(dst.toString());
        return a.toArray(String[]::new);
    }
}
