package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * {@code qimg dd} against {@code qemu-img dd} on the same input: same output and exit code, and the two
 * output images byte for byte equal (qemu-img dd writes every block, and so does qimg); each output passes
 * {@code qemu-img check} and reads as the input's range ({@code qemu-img compare} against qemu-img's).
 */
class DdTest {
    private static Path dir;
    private static Qemu qemu;

    @BeforeAll
    static void inputs() {
        Qemu.assumeInstalled();
        dir = Scratch.dir("commands-dd");
        qemu = new Qemu(dir);
        Path raw = dir.resolve("in.raw");
        qemu.img("create", "-q", "-f", "raw", raw.toString(), "5M");
        qemu.io(raw, "raw", "write -P 1 1M 1M", "write -P 7 4000k 5000");
        qemu.img("convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), dir.resolve("in.qcow2").toString());
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("plain", "if=in.raw"),
                Arguments.of("qcow2-out", "-O qcow2 if=in.raw"),
                Arguments.of("bs-64k", "-O qcow2 bs=64k if=in.raw"),
                Arguments.of("count-counts-from-start", "bs=1M skip=1 count=2 if=in.raw"),
                Arguments.of("odd-bs", "-O qcow2 bs=1000 count=3 if=in.raw"),
                Arguments.of("compressed-in", "-f qcow2 if=in.qcow2 bs=4k skip=300"),
                Arguments.of("compressed-in-qcow2-out", "-O qcow2 if=in.qcow2 bs=3k skip=7 count=1000"),
                Arguments.of("count-past-end", "bs=1M count=1k if=in.raw"),
                Arguments.of("skip-past-end", "skip=100000 if=in.raw"),
                Arguments.of("bs-zero", "bs=0 if=in.raw"),
                Arguments.of("bs-too-big", "bs=3G if=in.raw"),
                Arguments.of("bad-count", "count=-1 if=in.raw"),
                Arguments.of("bad-operand", "foo=1 if=in.raw"),
                Arguments.of("no-output", "if=in.raw NOOUT"));
    }

    @ParameterizedTest(name = "{0}: dd {1}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String args) throws IOException {
        Path a = dir.resolve(name + "-qemu.out");
        Path b = dir.resolve(name + "-qimg.out");
        ProcResult q = qemu.imgResult(argv(args, a));
        ProcResult m = Qimg.inProcess(argv(args, b));
        assertThat(Twin.normal(m.stderr(), b).replace(dir + "/", ""))
                .isEqualTo(Twin.normal(q.stderr(), a).replace(dir + "/", ""));
        assertThat(m.stdout()).isEqualTo(q.stdout());
        assertThat(m.exitCode()).as(m.describe()).isEqualTo(q.exitCode());
        assertThat(Files.exists(b)).isEqualTo(Files.exists(a));
        if (Files.exists(a)) {
            assertThat(Files.mismatch(a, b)).as("first differing byte").isEqualTo(-1L);
            ProcResult cmp = qemu.imgResult("compare", a.toString(), b.toString());
            assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
            if (args.contains("-O qcow2")) {
                assertThat(qemu.imgResult("check", b.toString()).exitCode()).isZero();
            }
        }
    }

    private static String[] argv(String args, Path out) {
        List<String> v = new ArrayList<>(List.of("dd"));
        for (String s : args.split(" ")) {
            if (s.equals("NOOUT")) {
                continue;
            }
            v.add(s.startsWith("if=") ? "if=" + dir.resolve(s.substring(3)) : s);
        }
        if (!args.contains("NOOUT")) {
            v.add("of=" + out);
        }
        return v.toArray(new String[0]);
    }

}
