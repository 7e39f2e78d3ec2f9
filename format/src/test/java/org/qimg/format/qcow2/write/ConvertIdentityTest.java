package org.qimg.format.qcow2.write;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;

/**
 * The writer fed the same clusters as qemu-img convert must produce the same file: same md5, and in any
 * case a clean {@code qemu-img check} and an identical {@code qemu-img compare}.
 */
class ConvertIdentityTest {
    @TempDir
    static Path dir;
    static Path mixed;
    static Path small;

    @BeforeAll
    static void inputs() throws Exception {
        mixed = WriterTestSupport.mixedRaw(dir, "mixed.raw", 42, 40, 1000);
        small = WriterTestSupport.mixedRaw(dir, "small.raw", 7, 6, 300);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("", false, "mixed"),
                Arguments.of("", true, "mixed"),
                Arguments.of("", true, "small"),
                Arguments.of("cluster_size=4096", false, "mixed"),
                Arguments.of("cluster_size=4096", true, "mixed"),
                Arguments.of("cluster_size=2M", false, "mixed"),
                Arguments.of("cluster_size=2M", true, "mixed"),
                Arguments.of("cluster_size=512", true, "mixed"),
                Arguments.of("cluster_size=512,refcount_bits=64", true, "mixed"),
                Arguments.of("cluster_size=1024,refcount_bits=1", true, "small"),
                Arguments.of("refcount_bits=1", true, "mixed"),
                Arguments.of("refcount_bits=8", false, "mixed"),
                Arguments.of("refcount_bits=64", true, "mixed"),
                Arguments.of("compat=0.10", false, "mixed"),
                Arguments.of("compat=0.10", true, "mixed"),
                // qemu-img convert leaves subclusters of >= 4 KiB zero runs unallocated; this test feeds whole
                // clusters (all 32 subclusters allocated), so only check + compare hold here. The convert
                // pipeline passes subcluster masks and matches qemu-img's md5 (tests: PlainQcow2IdentityTest).
                Arguments.of("extended_l2=on", false, "mixed-no-md5"),
                Arguments.of("extended_l2=on", true, "mixed"),
                Arguments.of("lazy_refcounts=on", true, "small"),
                Arguments.of("compression_type=zstd", true, "mixed"));
    }

    @ParameterizedTest(name = "[{index}] -o {0} compressed={1} {2}")
    @MethodSource("cases")
    void sameBytesAsQemuImg(String opts, boolean compress, String input) throws Exception {
        boolean identical = !input.endsWith("-no-md5");
        input = input.replace("-no-md5", "");
        Path raw = input.equals("mixed") ? mixed : small;
        String tag = (opts.isEmpty() ? "default" : opts.replace(',', '_').replace('=', '-')) + (compress ? "-c" : "");
        Path ours = dir.resolve(input + "-" + tag + "-qimg.qcow2");
        Path theirs = dir.resolve(input + "-" + tag + "-qemu.qcow2");
        long size = (java.nio.file.Files.size(raw) + 511) / 512 * 512;
        Qcow2CreateOptions o = Qcow2CreateOptions.builder(size).apply(opts).build();
        WriterTestSupport.convert(raw, ours, o, compress);
        var q = WriterTestSupport.run(WriterTestSupport.qemuConvert(raw, theirs, opts, compress).toArray(String[]::new));
        assertThat(q.exitCode()).as(q.out()).isEqualTo(0);

        var check = WriterTestSupport.run("qemu-img", "check", ours.toString());
        assertThat(check.exitCode()).as(check.out()).isEqualTo(0);
        assertThat(check.out()).contains("No errors were found");
        var cmp = WriterTestSupport.run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(), ours.toString());
        assertThat(cmp.exitCode()).as(cmp.out()).isEqualTo(0);
        String keep = System.getProperty("qimg.keep");
        if (keep != null) {
            java.nio.file.Files.createDirectories(Path.of(keep));
            java.nio.file.Files.copy(ours, Path.of(keep, ours.getFileName().toString()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.file.Files.copy(theirs, Path.of(keep, theirs.getFileName().toString()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (!identical) {
            return;
        }
        assertThat(WriterTestSupport.md5(ours)).as("md5 of %s vs %s", ours, theirs)
                .isEqualTo(WriterTestSupport.md5(theirs));
    }
}
