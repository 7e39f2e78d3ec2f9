package org.qimg.tests.vmdkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * {@code convert -O vmdk} with options qemu-img refuses: the same message and exit code, and no file left behind
 * (qemu-img leaves its half-made files in some of these cases; qimg never does). A convert that fails while
 * writing (its source vanishes under a read error) leaves neither the descriptor nor the flat extent.
 */
class VmdkConvertErrorsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "-o|subformat=bogus",
        "-o|compat6=bad",
        "-o|compat6=on,hwversion=7",
        "-o|zeroed_grain=on,subformat=monolithicFlat",
        "-o|cluster_size=4k",
        "-o|backing_fmt=raw",
        "-o|adapter_type=LSILOGIC",
        "-o|zeroed_grain=maybe",
        "-c -o|subformat=monolithicFlat",
        "-B|base.vmdk",
        "-B base.vmdk -F|raw",
    })
    void refusedAsQemuImgRefusesAndNothingIsLeft(String flags, String value) throws Exception {
        Path q = Files.createDirectories(dir.resolve("qemu"));
        Path o = Files.createDirectories(dir.resolve("qimg"));
        Content.writeRandomAt(q.resolve("src.raw"), 0, 300_000, 5);
        Content.writeRandomAt(o.resolve("src.raw"), 0, 300_000, 5);
        List<String> args = new ArrayList<>(List.of("convert", "-O", "vmdk"));
        args.addAll(List.of(flags.split(" ")));
        args.add(value);
        args.add("src.raw");
        args.add("t.vmdk");
        List<String> qemu = new ArrayList<>(args);
        qemu.add(0, "qemu-img");
        ProcResult theirs = Proc.run(q, qemu);
        ProcResult ours = Qimg.subprocess(o, args.toArray(String[]::new));
        assertThat(theirs.exitCode()).as(theirs.describe()).isNotZero();
        assertThat(ours.exitCode()).as(ours.describe()).isEqualTo(theirs.exitCode());
        assertThat(ours.stderr().replace("qimg: ", "qemu-img: ")).isEqualTo(theirs.stderr());
        try (Stream<Path> files = Files.list(o)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("src.raw");
        }
    }

    /**
     * A source that fails mid-way (a compressed qcow2 cluster near its end overwritten with garbage, so reading
     * fails after the first megabytes have been written): neither the descriptor nor the extent is left.
     */
    @Test
    void failedConvertLeavesNoDescriptorAndNoExtent() throws Exception {
        Path raw = dir.resolve("text.raw");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200_000; i++) {
            text.append("text ").append(i).append(' ');
        }
        Files.writeString(raw, text.toString().repeat(4));
        Path src = dir.resolve("bad.qcow2");
        Proc.ok(dir, "qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), src.toString());
        long len = Files.size(src);
        try (var ch = java.nio.channels.FileChannel.open(src, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] junk = new byte[8000];
            java.util.Arrays.fill(junk, (byte) 0xff);
            ch.write(java.nio.ByteBuffer.wrap(junk), len - 40_000);
        }
        for (String subformat : new String[] {"monolithicFlat", "monolithicSparse", "streamOptimized"}) {
            Path out = Files.createDirectories(dir.resolve(subformat));
            ProcResult r = Qimg.subprocess(out, "convert", "-f", "qcow2", "-O", "vmdk", "-o", "subformat=" + subformat,
                    src.toString(), "t.vmdk");
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.stderr()).contains("bad.qcow2").contains("compressed cluster");
            try (Stream<Path> files = Files.list(out)) {
                assertThat(files).as("files left by %s", subformat).isEmpty();
            }
        }
    }

    /**
     * An empty source: qemu-img creates a VMDK it then cannot open (sparse: "Unsupported image type"; flat: it
     * aborts, as for twoGbMaxExtentSparse); qimg refuses, with qemu-img's message where it has one, and leaves no file.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"monolithicSparse", "streamOptimized", "monolithicFlat", "twoGbMaxExtentSparse"})
    void emptySourceIsRefusedWithoutLeavingFiles(String subformat) throws Exception {
        Path q = Files.createDirectories(dir.resolve("qemu"));
        Path o = Files.createDirectories(dir.resolve("qimg"));
        Files.createFile(q.resolve("empty.raw"));
        Files.createFile(o.resolve("empty.raw"));
        ProcResult theirs = Proc.run(q, "qemu-img", "convert", "-O", "vmdk", "-o", "subformat=" + subformat,
                "empty.raw", "t.vmdk");
        ProcResult ours = Qimg.subprocess(o, "convert", "-O", "vmdk", "-o", "subformat=" + subformat, "empty.raw",
                "t.vmdk");
        assertThat(theirs.exitCode()).as(theirs.describe()).isNotZero();
        assertThat(ours.exitCode()).as(ours.describe()).isEqualTo(1);
        if (subformat.equals("monolithicSparse") || subformat.equals("streamOptimized")) {
            assertThat(ours.stderr()).startsWith(theirs.stderr().strip().replace("qemu-img: ", "qimg: "));
        }
        try (Stream<Path> files = Files.list(o)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("empty.raw");
        }
    }
}
