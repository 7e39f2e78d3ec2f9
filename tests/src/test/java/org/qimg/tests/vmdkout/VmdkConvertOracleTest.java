package org.qimg.tests.vmdkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg convert -O vmdk -o subformat=...} for every subformat qemu-img writes and several contents (sizes not a
 * multiple of the grain or of a sector, all zeros, incompressible, sparse with holes), each output checked by
 * every independent reader: {@code qemu-img compare} against the source, {@code qemu-img info} (subformat and
 * virtual size), {@code qemu-img check}, libvmdk's {@code vmdkinfo} and a data read-back through libvmdk's
 * {@code pyvmdk}; and compared with qemu-img's own output: monolithicSparse, monolithicFlat and the twoGbMaxExtent
 * subformats byte for byte except the CID, streamOptimized by the VMware layout rules it follows instead (see
 * README "VMDK output").
 */
class VmdkConvertOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void inputs() throws Exception {
        Content.writeMixed(dir.resolve("mixed.raw"), 3 * 1024 * 1024 + 1000, 21);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("zeros.raw").toFile(), "rw")) {
            f.setLength(2 * 1024 * 1024 + 512);
        }
        Content.writeRandomAt(dir.resolve("random.raw"), 0, 1024 * 1024 + 70_000, 22);
        Path sparse = dir.resolve("sparse.raw");
        try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength(40L * 1024 * 1024 + 4096);
        }
        Content.writeRandomAt(sparse, 5000, 3000, 23);
        Content.writeRandomAt(sparse, 33L * 1024 * 1024 + 65_000, 2000, 24);
        Content.writeRandomAt(sparse, 40L * 1024 * 1024 + 4000, 96, 25);
        Content.writeRandomAt(dir.resolve("tiny.raw"), 0, 1000, 26);
        // a 2 GiB extent and a short one of a split image, with data across the boundary
        Path big = dir.resolve("big.raw");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(2L * 1024 * 1024 * 1024 + 70_000);
        }
        Content.writeRandomAt(big, 0, 100_000, 27);
        Content.writeRandomAt(big, 2L * 1024 * 1024 * 1024 - 300, 69_000, 28);
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String subformat : new String[] {"monolithicSparse", "monolithicFlat", "streamOptimized",
            "twoGbMaxExtentSparse", "twoGbMaxExtentFlat"}) {
            for (String input : new String[] {"mixed", "zeros", "random", "sparse", "tiny"}) {
                list.add(Arguments.of(subformat, input));
            }
        }
        for (String subformat : new String[] {"monolithicSparse", "streamOptimized", "twoGbMaxExtentSparse",
            "twoGbMaxExtentFlat"}) {
            list.add(Arguments.of(subformat, "big"));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("cases")
    void everyReaderReadsTheSource(String subformat, String input) throws Exception {
        Path src = dir.resolve(input + ".raw");
        Path oursDir = Files.createDirectories(dir.resolve("qimg-" + subformat + "-" + input));
        Path theirsDir = Files.createDirectories(dir.resolve("qemu-" + subformat + "-" + input));
        Path ours = oursDir.resolve("disk.vmdk");
        Path theirs = theirsDir.resolve("disk.vmdk");
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + subformat, "-m", "2",
                src.toString(), ours.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Proc.ok(dir, "qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + subformat, src.toString(),
                theirs.toString());

        ProcResult cmp = Proc.run(dir, "qemu-img", "compare", "-f", "raw", "-F", "vmdk", src.toString(),
                ours.toString());
        assertThat(cmp.exitCode()).as(cmp.stdout() + cmp.stderr()).isZero();
        String info = Proc.ok(dir, "qemu-img", "info", "--output=json", ours.toString());
        long size = (Files.size(src) + 511) / 512 * 512;
        assertThat(info).contains("\"format\": \"vmdk\"").contains("\"virtual-size\": " + size)
                .contains("\"create-type\": \"" + subformat + "\"");
        ProcResult check = Proc.run(dir, "qemu-img", "check", ours.toString());
        assertThat(check.exitCode()).as(check.stdout() + check.stderr()).isZero();
        assertThat(check.stdout()).contains("No errors were found on the image.");
        assertThat(VmdkReaders.vmdkinfo(ours)).contains("(" + size + " bytes)");
        assertThat(VmdkReaders.libvmdkReadBack(ours)).isEqualTo(VmdkReaders.rawAsDisk(src));
        // and a round trip through qimg's own reader
        ProcResult own = Qimg.inProcess("compare", "-f", "raw", "-F", "vmdk", src.toString(), ours.toString());
        assertThat(own.exitCode()).as(own.describe()).isZero();

        switch (subformat) {
            case "monolithicSparse" -> VmdkReaders.assertSameExceptCid(ours, theirs);
            case "streamOptimized" -> {
                StreamLayout.assertVmwareLayout(ours, size);
                // the same grains as qemu-img's (same zlib stream per grain), without its 64 KiB alignment
                assertThat(Files.size(ours)).isLessThanOrEqualTo(Files.size(theirs) + 1024);
                Path again = Files.createDirectories(dir.resolve("again-" + input)).resolve("disk.vmdk");
                ProcResult r1 = Qimg.inProcess("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + subformat,
                        "-m", "1", src.toString(), again.toString());
                assertThat(r1.exitCode()).as(r1.stderr()).isZero();
                assertThat(Digests.firstDifference(again, ours)).as("output with one thread vs two").isEqualTo(-1);
            }
            default -> {
                // a descriptor file and extent files: the same files, the extents byte for byte
                assertThat(names(oursDir)).isEqualTo(names(theirsDir));
                for (String n : names(theirsDir)) {
                    if (!n.equals("disk.vmdk")) {
                        assertThat(Digests.md5(oursDir.resolve(n))).as(n).isEqualTo(Digests.md5(theirsDir.resolve(n)));
                    }
                }
                // no size check: qemu-img prints its random CID with %x, so its length varies; the text without
                // the CID is compared whole
                // qemu-img rewrites its random CID in place on the first write; a shorter new CID leaves the old
                // text's last bytes after the descriptor's end (at most the CID's 8 digits)
                String o = VmdkReaders.descriptorWithoutCid(ours);
                String t = VmdkReaders.descriptorWithoutCid(theirs);
                assertThat(t).startsWith(o);
                assertThat(t.length() - o.length()).as("bytes qemu-img left behind after its descriptor")
                        .isLessThanOrEqualTo(8);
            }
        }
        try (Stream<Path> files = Files.list(oursDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")))
                    .as("temporary files left").isEmpty();
        }
    }

    private static java.util.List<String> names(Path d) throws java.io.IOException {
        try (Stream<Path> files = Files.list(d)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** -c changes nothing for monolithicSparse (qemu-img writes its grains plain too). */
    @org.junit.jupiter.api.Test
    void compressFlagIsIgnoredForMonolithicSparse() throws Exception {
        Path src = dir.resolve("mixed.raw");
        Path a = Files.createDirectories(dir.resolve("c1")).resolve("d.vmdk");
        Path b = Files.createDirectories(dir.resolve("c2")).resolve("d.vmdk");
        assertThat(Qimg.inProcess("convert", "-O", "vmdk", src.toString(), a.toString()).exitCode()).isZero();
        assertThat(Qimg.inProcess("convert", "-c", "-O", "vmdk", src.toString(), b.toString()).exitCode()).isZero();
        assertThat(Digests.md5(a)).isEqualTo(Digests.md5(b));
    }

    /** Reads a streamOptimized file's structure as VMware's format describes it. */
    static final class StreamLayout {
        private StreamLayout() {
        }

        /**
         * Header as vmdk-convert writes it (version 3, flags 0x30001, grain directory at sector 21, no redundant
         * directory), every allocated grain a marker whose LBA is its own, stored in guest order back to back from
         * {@code overhead}, and an end-of-stream marker as the last sector.
         */
        static void assertVmwareLayout(Path file, long size) throws Exception {
            ByteBuffer f = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(f.getInt(0)).isEqualTo(0x564d444b);
            assertThat(f.getInt(4)).as("version").isEqualTo(3);
            assertThat(f.getInt(8)).as("flags").isEqualTo(0x30001);
            assertThat(f.getLong(12)).as("capacity").isEqualTo(size / 512);
            assertThat(f.getLong(48)).as("rgdOffset").isZero();
            assertThat(f.getLong(56)).as("gdOffset").isEqualTo(21);
            assertThat(f.getShort(77)).as("compressAlgorithm").isEqualTo((short) 1);
            long overhead = f.getLong(64);
            long grains = (size / 512 + 127) / 128;
            long next = overhead * 512;
            for (long g = 0; g < grains; g++) {
                int gt = f.getInt((int) (21 * 512 + g / 512 * 4));
                int entry = f.getInt((int) (gt * 512L + g % 512 * 4));
                if (entry == 0) {
                    continue;
                }
                assertThat((long) entry * 512).as("grain %d stored in order", g).isEqualTo(next);
                assertThat(f.getLong((int) next)).as("marker lba of grain %d", g).isEqualTo(g * 128);
                int len = f.getInt((int) next + 8);
                assertThat(f.get((int) next + 12)).as("zlib header").isEqualTo((byte) 0x78);
                next += (12L + len + 511) / 512 * 512;
            }
            assertThat((long) f.capacity()).as("file ends after the end-of-stream marker").isEqualTo(next + 512);
            for (int i = 0; i < 512; i++) {
                assertThat(f.get((int) next + i)).as("end-of-stream marker byte %d", i).isZero();
            }
        }
    }
}
