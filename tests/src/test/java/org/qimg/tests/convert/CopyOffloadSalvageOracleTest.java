package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.SideBySide;

/**
 * qemu-img convert's -C (copy offloading), --salvage, -n -B, -o preallocation for raw targets and the backing
 * file of a new target, against qemu-img 7.2 in side-by-side directories: same exit codes and messages, and
 * targets with the same bytes, length, allocation and map.
 */
class CopyOffloadSalvageOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** A raw and a qcow2 source: data, written zeros (allocated), a hole, a small data run. */
    private static SideBySide sources(String name) {
        SideBySide s = new SideBySide(dir.resolve(name));
        s.qemuBoth("create", "-q", "-f", "raw", "s.raw", "4M");
        s.ioBoth("s.raw", "raw", "write -P 1 0 1M", "write -P 0 1M 1M", "write -P 3 3M 4k");
        s.qemuBoth("create", "-q", "-f", "qcow2", "s.qcow2", "4M");
        s.ioBoth("s.qcow2", "qcow2", "write -P 1 0 1M", "write -P 0 1M 1M", "write -P 3 3M 4k");
        return s;
    }

    /** "SOURCE TARGET_FORMAT FLAGS": -C copies data runs as they are; compared with plain and -S 0. */
    @ParameterizedTest
    @ValueSource(strings = {"s.raw raw -C", "s.raw qcow2 -C", "s.qcow2 raw -C", "s.qcow2 qcow2 -C",
        "s.raw raw -", "s.qcow2 qcow2 -", "s.qcow2 qcow2 -C,-o,cluster_size=4k", "s.raw qcow2 -C,-W"})
    void copyOffloadMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = sources("C-" + Integer.toHexString(spec.hashCode()));
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("convert", "-O", p[1]));
        if (!p[2].equals("-")) {
            a.addAll(java.util.List.of(p[2].split(",")));
        }
        a.add(p[0]);
        a.add("t.img");
        s.same(a.toArray(String[]::new));
        s.identical("t.img");
        s.sameView("t.img", "map", "--output=json", "-f", p[1]);
    }

    /** "FLAGS": qemu-img's refusals of -C, checked before anything is opened. */
    @ParameterizedTest
    @ValueSource(strings = {"-C -c", "-C -S 4k", "-C -S 0", "-C --salvage", "-c -C -S 4k --salvage"})
    void copyOffloadRefusalsMatchQemuImg(String flags) {
        SideBySide s = sources("Cr-" + Integer.toHexString(flags.hashCode()));
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("convert", "-O", "qcow2"));
        a.addAll(java.util.List.of(flags.split(" ")));
        a.add("s.raw");
        a.add("t.img");
        s.same(a.toArray(String[]::new));
        s.sameFile("t.img");
    }

    /** A compressed cluster whose payload is garbage: qemu-img reads it as EIO, --salvage makes it zeros. */
    @ParameterizedTest
    @ValueSource(strings = {"raw", "qcow2", "raw -q"})
    void salvageMatchesQemuImg(String spec) throws IOException {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("salvage-" + p.length + p[0]));
        s.qemuBoth("create", "-q", "-f", "raw", "s.raw", "1M");
        s.ioBoth("s.raw", "raw", "write -P 0x41 0 64k", "write -P 0x42 128k 64k");
        s.qemuBoth("convert", "-c", "-O", "qcow2", "s.raw", "c.qcow2");
        corruptFirstCompressedCluster(s.qemuDir().resolve("c.qcow2"));
        corruptFirstCompressedCluster(s.qimgDir().resolve("c.qcow2"));
        if (p.length > 1) {
            ProcResult q = s.same("convert", p[1], "--salvage", "-O", p[0], "c.qcow2", "t.img");
            assertThat(q.stderr()).isEmpty();
        } else {
            ProcResult q = s.same("convert", "--salvage", "-O", p[0], "c.qcow2", "t.img");
            assertThat(q.stderrLines()).hasSize(128); // one warning per sector of the bad cluster
        }
        s.identical("t.img");
        // without --salvage the read error fails the convert (messages differ: qimg names the corruption)
        ProcResult q = new Qemu(s.qemuDir()).imgResult("convert", "-O", p[0], "c.qcow2", "u.img");
        ProcResult i = org.qimg.tests.support.Qimg.subprocess(s.qimgDir(), "convert", "-O", p[0], "c.qcow2",
                "u.img");
        assertThat(i.exitCode()).isEqualTo(q.exitCode()).isEqualTo(1);
    }

    /** -n -B: into an existing overlay, only what the source's top layer allocates is written. */
    @ParameterizedTest
    @ValueSource(strings = {"qcow2", "raw"})
    void convertInPlaceWithBackingMatchesQemuImg(String format) {
        SideBySide s = new SideBySide(dir.resolve("nB-" + format));
        s.qemuBoth("create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        s.ioBoth("base.qcow2", "qcow2", "write -P 1 0 4M");
        s.qemuBoth("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "src.qcow2");
        s.ioBoth("src.qcow2", "qcow2", "write -P 2 1M 64k", "write -z 2M 64k", "write -P 0 3M 64k");
        if (format.equals("qcow2")) {
            s.qemuBoth("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "t.img");
        } else {
            s.qemuBoth("create", "-q", "-f", "raw", "t.img", "4M");
            s.ioBoth("t.img", "raw", "write -P 9 0 4M");
        }
        s.same("convert", "-n", "-B", "base.qcow2", "-O", format, "src.qcow2", "t.img");
        // the same guest content; for qcow2 the same allocation (which clusters, at which depth)
        String q = new Qemu(s.qemuDir()).img("map", "--output=json", "-f", format, "t.img");
        String i = new Qemu(s.qimgDir()).img("map", "--output=json", "-f", format, "t.img");
        if (format.equals("qcow2")) {
            assertThat(i.replaceAll(", \"offset\": \\d+", "")).isEqualTo(q.replaceAll(", \"offset\": \\d+", ""));
            s.sameView("t.img", "check");
        }
        assertThat(org.qimg.tests.support.Digests.md5(s.qimgDir().resolve(format.equals("raw") ? "t.img"
                : "base.qcow2"))).isEqualTo(org.qimg.tests.support.Digests.md5(s.qemuDir().resolve(
                format.equals("raw") ? "t.img" : "base.qcow2")));
        if (format.equals("qcow2")) {
            assertThat(new Qemu(s.qimgDir()).imgResult("compare", "-f", "qcow2", "-F", format, "src.qcow2",
                    "t.img").exitCode()).isZero();
        }
    }

    /** "OPTIONS": the backing file of a new target must open (qemu-img opens the new target). */
    @ParameterizedTest
    @ValueSource(strings = {"backing_file=/nonexistent,backing_fmt=raw", "backing_file=s.raw,backing_fmt=qcow2",
        "backing_file=nodir/x,backing_fmt=raw", "backing_file=s.qcow2,backing_fmt=qcow2"})
    void missingBackingFileIsRefusedAsByQemuImg(String opts) {
        SideBySide s = sources("bk-" + Integer.toHexString(opts.hashCode()));
        s.same("convert", "-O", "qcow2", "-o", opts, "s.raw", "t.img");
    }

    /** "PREALLOCATION": a new raw target sized as qemu-img's file driver makes it, then written. */
    @ParameterizedTest
    @ValueSource(strings = {"off", "falloc", "full", "metadata", "bogus"})
    void rawTargetPreallocationMatchesQemuImg(String mode) {
        SideBySide s = sources("pre-" + mode);
        s.same("convert", "-O", "raw", "-o", "preallocation=" + mode, "s.qcow2", "t.img");
        if (mode.equals("off") || mode.equals("falloc") || mode.equals("full")) {
            // ext4 counts its extent-tree blocks in st_blocks: a preallocated file that the file system had to
            // place in more than four extents (a busy disk) gets one more 4 KiB block, whichever tool made it
            s.identical("t.img", mode.equals("off") ? 0 : 4096);
            s.sameView("t.img", "map", "--output=json", "-f", "raw");
        }
    }

    @Test
    void zeroSourceToRawHasItsFirstBlockWritten() {
        SideBySide s = new SideBySide(dir.resolve("zero"));
        s.qemuBoth("create", "-q", "-f", "qcow2", "z.qcow2", "8M");
        s.same("convert", "-O", "raw", "z.qcow2", "t.img");
        s.identical("t.img");
        s.sameView("t.img", "map", "--output=json", "-f", "raw");
    }

    /** Overwrites the payload of guest cluster 0 (compressed) with 0xff bytes. */
    private static void corruptFirstCompressedCluster(Path image) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.seek(40);
            long l1 = f.readLong();
            f.seek(l1);
            long l2 = f.readLong() & ((1L << 62) - 1) & ~1L;
            f.seek(l2);
            long entry = f.readLong();
            int clusterBits = 16;
            long offset = entry & ((1L << (62 - (clusterBits - 8))) - 1);
            f.getChannel().write(ByteBuffer.wrap(new byte[64]).put(0, new byte[64]), offset);
            byte[] ff = new byte[64];
            java.util.Arrays.fill(ff, (byte) 0xff);
            f.seek(offset);
            f.write(ff);
        }
    }
}
