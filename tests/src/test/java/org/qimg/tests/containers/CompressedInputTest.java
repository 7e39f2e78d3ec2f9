package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Issue 13: a compressed disk image converts to the same bytes as the decompressed file. The oracle is
 * qemu-img converting the file the compression tool itself decompressed: raw output, plain qcow2 and zlib
 * qcow2 ({@code -c}) must be md5-identical (qimg's qcow2 output matches qemu-img's byte for byte, DESIGN 2).
 * Other commands that read images (info, compare, checksum, map, measure) see the disk inside too.
 */
class CompressedInputTest {
    private static Path dir;
    private static Qemu qemu;

    @BeforeAll
    static void files() {
        dir = ContainerFiles.dir();
        qemu = new Qemu(dir);
    }

    static Stream<Arguments> packedAndTargets() {
        List<Arguments> out = new ArrayList<>();
        for (ContainerFiles.Packed p : ContainerFiles.packed()) {
            out.add(Arguments.of(p, List.of("-O", "raw")));
            out.add(Arguments.of(p, List.of("-O", "qcow2")));
            out.add(Arguments.of(p, List.of("-c", "-O", "qcow2")));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "convert {1} from {0}")
    @MethodSource("packedAndTargets")
    void convertEqualsQemuImgOfTheDecompressedFile(ContainerFiles.Packed p, List<String> target) {
        String tag = Math.abs((p.label() + target).hashCode()) + "";
        Path theirs = dir.resolve("qemu-" + tag);
        Path ours = dir.resolve("qimg-" + tag);
        List<String> q = new ArrayList<>(List.of("convert", "-f", p.inner()));
        q.addAll(target);
        q.addAll(List.of(p.decompressed(), theirs.toString()));
        qemu.img(q.toArray(String[]::new));
        List<String> args = new ArrayList<>(List.of("convert"));
        args.addAll(target);
        args.addAll(List.of(dir.resolve(p.file()).toString(), ours.toString()));

        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Digests.md5(ours)).as("md5 of qimg's output vs qemu-img's from the decompressed file")
                .isEqualTo(Digests.md5(theirs));
    }

    @ParameterizedTest(name = "info of {0}")
    @MethodSource("org.qimg.tests.containers.ContainerFiles#packed")
    void infoNamesTheContainerAndTheFormatInside(ContainerFiles.Packed p) throws Exception {
        ProcResult r = Qimg.inProcess("info", dir.resolve(p.file()).toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        String codec = p.file().endsWith(".xz") ? "xz" : p.file().endsWith(".gz") ? "gzip"
                : p.file().endsWith(".bz2") ? "bzip2" : p.file().endsWith(".zst") ? "zstd" : "lz4";
        assertThat(r.stdout()).contains("file format: " + codec + "-compressed " + p.inner() + "\n");
        String qemuInfo = qemu.img("info", "-f", p.inner(), p.decompressed());
        String size = qemuInfo.lines().filter(l -> l.startsWith("virtual size:")).findFirst().orElseThrow();
        assertThat(r.stdout()).contains(size + "\n");

        ProcResult json = Qimg.inProcess("info", "--output=json", dir.resolve(p.file()).toString());
        assertThat(json.stdout()).contains("\"format\": \"" + codec + "-compressed " + p.inner() + "\"")
                .contains("\"type\": \"" + codec + "\"").contains("\"inner-format\": \"" + p.inner() + "\"")
                .contains("\"compressed-size\": " + Files.size(dir.resolve(p.file())));
    }

    @Test
    void compareChecksumMapAndMeasureSeeTheDiskInside() {
        Path xz = dir.resolve(ContainerFiles.RAW + ".xz");
        Path gz = dir.resolve(ContainerFiles.QCOW2 + ".gz");
        Path raw = dir.resolve(ContainerFiles.RAW);
        ProcResult same = Qimg.inProcess("compare", xz.toString(), raw.toString());
        assertThat(same.exitCode()).as(same.describe()).isZero();
        assertThat(same.stdout()).contains("Images are identical.");
        ProcResult both = Qimg.inProcess("compare", xz.toString(), gz.toString());
        assertThat(both.exitCode()).as(both.describe()).isZero();

        ProcResult sumPacked = Qimg.inProcess("checksum", xz.toString());
        ProcResult sumPlain = Qimg.inProcess("checksum", raw.toString());
        assertThat(sumPacked.exitCode()).as(sumPacked.describe()).isZero();
        assertThat(sumPacked.stdout().split(" ")[0]).isEqualTo(sumPlain.stdout().split(" ")[0]);

        ProcResult map = Qimg.inProcess("map", "--output=json", gz.toString());
        assertThat(map.exitCode()).as(map.describe()).isZero();
        ProcResult measure = Qimg.inProcess("measure", "-O", "qcow2", xz.toString());
        assertThat(measure.exitCode()).as(measure.describe()).isZero();
        assertThat(measure.stdout()).contains("required size:");
    }

    /** -f raw reads the container's own bytes, as qemu-img -f raw does. */
    @Test
    void forcedRawReadsTheCompressedBytes() {
        Path xz = dir.resolve(ContainerFiles.RAW + ".xz");
        Path ours = dir.resolve("forced-raw.qimg");
        Path theirs = dir.resolve("forced-raw.qemu");
        qemu.img("convert", "-f", "raw", "-O", "raw", xz.toString(), theirs.toString());
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "raw", xz.toString(), ours.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Digests.md5(ours)).isEqualTo(Digests.md5(theirs));
    }

    /** -f names the format inside: the wrong one is refused, naming what the file holds. */
    @Test
    void namedFormatIsTheOneInside() {
        Path xz = dir.resolve(ContainerFiles.QCOW2 + ".xz");
        ProcResult ok = Qimg.inProcess("info", "-f", "qcow2", xz.toString());
        assertThat(ok.exitCode()).as(ok.describe()).isZero();
        Path rawXz = dir.resolve(ContainerFiles.RAW + ".xz");
        ProcResult wrong = Qimg.inProcess("info", "-f", "qcow2", rawXz.toString());
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.stderrLines()).hasSize(1);
        assertThat(wrong.stderr()).contains("'" + rawXz + "'").contains("xz-compressed raw");
    }
}
