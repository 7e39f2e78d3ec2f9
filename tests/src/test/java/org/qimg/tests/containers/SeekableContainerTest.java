package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * Issue 13: a qcow2 or VMDK image inside an xz file with several blocks ({@code xz -T2 --block-size=...}) or a
 * zstd file with several frames (compressed files concatenated, {@code cat a.zst b.zst}) is read through the
 * container's index, with no temporary copy: with {@code TMPDIR} naming a directory that does not exist (where
 * no copy can be made) convert and info still work, and {@code info} says {@code access: index}. Outputs are
 * md5-identical to qemu-img converting the file the tool itself decompressed. {@code info} decodes only the
 * blocks holding metadata: a block of guest data broken in the middle of the file does not stop it, while a
 * convert then fails naming the file and that block's offset (as {@code xz --list -vv} gives it). Files with
 * one block or frame keep the temporary copy and say so.
 */
class SeekableContainerTest {
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w.$/]+\\(.*\\)$", Pattern.MULTILINE);
    private static Path dir;
    private static Qemu qemu;
    private static final List<ContainerFiles.Packed> PACKED = new ArrayList<>();

    @BeforeAll
    static synchronized void files() {
        if (dir != null) {
            return;
        }
        Qemu.assumeInstalled();
        dir = Scratch.dir("seekable-containers");
        qemu = new Qemu(dir);
        // 24 MiB: patterns, a zeroed range, data near the end, 3 MiB of incompressible bytes in the middle
        qemu.img("create", "-q", "-f", "raw", "disk.raw", "24M");
        qemu.io(dir.resolve("disk.raw"), "raw", "write -P 0x11 0 2M", "write -P 0x22 5M 1M", "write -z 7M 64k",
                "write -P 0x5a 23M 1M");
        byte[] noise = new byte[3 << 20];
        new java.util.Random(1313).nextBytes(noise);
        try (FileChannel ch = FileChannel.open(dir.resolve("disk.raw"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(noise), 12L << 20);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        qemu.img("convert", "-f", "raw", "-O", "qcow2", "disk.raw", "disk.qcow2");
        qemu.img("convert", "-f", "raw", "-O", "vmdk", "disk.raw", "disk.vmdk");
        qemu.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", "disk.raw", "so.vmdk");
        for (String[] inner : new String[][] {{"disk.qcow2", "qcow2"}, {"disk.vmdk", "vmdk"}, {"so.vmdk", "vmdk"}}) {
            String f = inner[0];
            pack("xz -T2 --block-size=1MiB " + f, f + ".mt.xz", inner[1],
                    "xz -T2 --block-size=1MiB -c " + f + " > " + f + ".mt.xz", "xz -dc");
            // frames of 1 MiB, each a file compressed by zstd (which records the content size), concatenated
            pack("zstd frames " + f, f + ".frames.zst", inner[1], "rm -f part.*; split -b 1M " + f + " part. && "
                    + "for p in part.*; do zstd -q -c $p; done > " + f + ".frames.zst && rm part.*", "zstd -qdc");
        }
        // two zstd files concatenated as they are: `cat a.zst b.zst`
        pack("cat a.zst b.zst disk.qcow2", "cat.qcow2.zst", "qcow2", "head -c 5M disk.qcow2 > a && tail -c +5242881 "
                + "disk.qcow2 > b && zstd -q -f a -o a.zst && zstd -q -f b -o b.zst && cat a.zst b.zst > cat.qcow2.zst",
                "zstd -qdc");
        // one block / one frame: read through a temporary copy
        sh("xz -c disk.qcow2 > one.qcow2.xz && zstd -q -c disk.qcow2 > one.qcow2.zst");
    }

    private static void pack(String label, String file, String inner, String make, String decompress) {
        sh(make);
        String back = file + ".unpacked";
        sh(decompress + " " + file + " > " + back);
        PACKED.add(new ContainerFiles.Packed(label, file, back, inner));
    }

    private static void sh(String script) {
        Proc.run(dir, "bash", "-c", "set -euo pipefail; " + script).requireSuccess();
    }

    static Stream<ContainerFiles.Packed> packed() {
        files();
        return PACKED.stream();
    }

    static Stream<Arguments> packedAndTargets() {
        return packed().flatMap(p -> Stream.of(Arguments.of(p, List.of("-O", "raw")),
                Arguments.of(p, List.of("-O", "qcow2")), Arguments.of(p, List.of("-c", "-O", "qcow2"))));
    }

    /** qimg with TMPDIR naming a directory that does not exist: no temporary file can be made there. */
    private static ProcResult withoutTmpdir(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "TMPDIR=" + dir.resolve("no-such-dir")));
        cmd.addAll(Qimg.command(args));
        return Proc.run(dir, cmd);
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
        assertThat(r.stderr()).as("no notice of a temporary copy").doesNotContain("temporary");
        assertThat(Digests.md5(ours)).as("md5 of qimg's output vs qemu-img's from the decompressed file")
                .isEqualTo(Digests.md5(theirs));
    }

    @ParameterizedTest(name = "no temporary file for {0}")
    @MethodSource("packed")
    void readsThroughTheIndexWithoutATemporaryFile(ContainerFiles.Packed p) {
        Path out = dir.resolve("notmp-" + Math.abs(p.label().hashCode()) + ".raw");
        ProcResult r = withoutTmpdir("convert", "-O", "raw", p.file(), out.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stderr()).isEmpty();
        assertThat(Digests.md5(out)).isEqualTo(Digests.md5(dir.resolve("disk.raw")));

        ProcResult info = withoutTmpdir("info", "--output=json", p.file());
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(info.stdout()).contains("\"access\": \"index\"").contains("\"inner-format\": \"" + p.inner() + "\"");
    }

    /** The same TMPDIR stops a file with one block: the test above would see a temporary copy being made. */
    @Test
    void oneBlockOrFrameNeedsTheTemporaryCopyAndSaysWhy() {
        for (String f : List.of("one.qcow2.xz", "one.qcow2.zst")) {
            ProcResult r = withoutTmpdir("info", f);
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.stderrLines()).as(r.describe()).hasSize(2);
            assertThat(r.stderr()).contains("decompressing '" + f + "' into a temporary file")
                    .containsAnyOf("one xz block", "one zstd frame");

            ProcResult ok = Qimg.inProcess("info", dir.resolve(f).toString());
            assertThat(ok.exitCode()).as(ok.describe()).isZero();
            assertThat(ok.stdout()).contains("access: temporary copy");
        }
    }

    @ParameterizedTest(name = "info of {0}")
    @MethodSource("packed")
    void infoNamesTheContainerAndTheFormatInside(ContainerFiles.Packed p) {
        String codec = p.file().endsWith(".xz") ? "xz" : "zstd";
        ProcResult r = Qimg.inProcess("info", dir.resolve(p.file()).toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("file format: " + codec + "-compressed " + p.inner() + "\n")
                .contains("access: index");
        String qemuInfo = qemu.img("info", "-f", p.inner(), p.decompressed());
        String size = qemuInfo.lines().filter(l -> l.startsWith("virtual size:")).findFirst().orElseThrow();
        assertThat(r.stdout()).contains(size + "\n");
    }

    /** map names the file the user gave, whether it is read through the index or a temporary copy. */
    @Test
    void mapNamesTheUsersFile() {
        for (String f : List.of("disk.qcow2.mt.xz", "disk.vmdk.frames.zst", "one.qcow2.xz")) {
            Path file = dir.resolve(f);
            ProcResult r = Qimg.inProcess("map", file.toString());
            assertThat(r.exitCode()).as(r.describe()).isZero();
            List<String> rows = r.stdout().lines().skip(1).toList();
            assertThat(rows).isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(" " + file));
            // the JSON map is qemu-img's of the decompressed file
            String inner = f.contains("vmdk") ? "vmdk" : "qcow2";
            String base = f.startsWith("one") ? "disk.qcow2" : f.substring(0, f.indexOf('.', 5));
            ProcResult json = Qimg.inProcess("map", "--output=json", file.toString());
            assertThat(json.stdout()).isEqualTo(qemu.img("map", "--output=json", "-f", inner, base));
        }
    }

    /**
     * info reads only the blocks holding metadata; a convert reads the damaged data block and names its
     * compressed offset, the one {@code xz --list -vv} gives.
     */
    @Test
    void infoDecodesOnlyWhatItNeedsAndDamageIsNamedByOffset() throws IOException {
        Path bad = dir.resolve("damaged.qcow2.xz");
        Files.copy(dir.resolve("disk.qcow2.mt.xz"), bad, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // the blocks as xz lists them: number, stream offsets (compressed, uncompressed), sizes
        String list = Proc.ok(dir, "xz", "--robot", "--list", "-vv", bad.getFileName().toString());
        List<long[]> blocks = new ArrayList<>();
        for (String line : list.lines().toList()) {
            String[] c = line.split("\t");
            if (c[0].equals("block")) {
                // block <stream> <block in stream> <block in file> <comp offset> <uncomp offset> <comp size> ...
                blocks.add(new long[] {Long.parseLong(c[4]), Long.parseLong(c[5]), Long.parseLong(c[6])});
            }
        }
        assertThat(blocks).hasSizeGreaterThan(4);
        // the block that compresses worst is one of the noise (guest data, no metadata): the compressed bytes in
        // its middle are replaced
        long[] victim = blocks.stream().skip(1).max(java.util.Comparator.comparingLong(b -> b[2])).orElseThrow();
        try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13, 0x13}),
                    victim[0] + victim[2] / 2);
        }
        assertThat(Proc.run(dir, "xz", "-t", bad.getFileName().toString()).exitCode()).as("xz -t refuses it")
                .isNotZero();

        ProcResult info = Qimg.inProcess("info", bad.toString());
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(info.stdout()).contains("file format: xz-compressed qcow2");

        Path out = dir.resolve("damaged.raw");
        Files.deleteIfExists(out);
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", bad.toString(), out.toString());
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
        assertThat(r.stderr()).startsWith("qimg: " + bad + ": offset " + victim[0] + " ")
                .contains("corrupt xz stream");
        assertThat(STACK_FRAME.matcher(r.stderr()).find()).as("stack trace").isFalse();
        assertThat(out).as("no DST after a failed convert").doesNotExist();
    }

    /** Truncated multi-block xz (its index is gone) and multi-frame zstd: one line, the file, an offset. */
    @ParameterizedTest(name = "truncated {0}")
    @MethodSource("packed")
    void truncatedFileIsAOneLineError(ContainerFiles.Packed p) throws IOException {
        Path cut = dir.resolve("cut-" + p.file());
        byte[] all = Files.readAllBytes(dir.resolve(p.file()));
        Files.write(cut, java.util.Arrays.copyOf(all, all.length * 7 / 10));
        for (String cmd : List.of("info", "convert")) {
            Path out = dir.resolve("cut.out");
            Files.deleteIfExists(out);
            ProcResult r = cmd.equals("info") ? Qimg.inProcess("info", cut.toString())
                    : Qimg.inProcess("convert", "-O", "qcow2", cut.toString(), out.toString());
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
            Matcher m = Pattern.compile("^qimg: " + Pattern.quote(cut.toString()) + ": offset (\\d+) ")
                    .matcher(r.stderr());
            assertThat(m.find()).as(r.describe()).isTrue();
            assertThat(Long.parseLong(m.group(1))).isLessThanOrEqualTo(Files.size(cut));
            assertThat(out).doesNotExist();
        }
    }
}
