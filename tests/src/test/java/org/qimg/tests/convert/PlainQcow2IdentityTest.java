package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * Uncompressed qcow2 output is byte-identical to {@code qemu-img convert -O qcow2} (md5 of the whole file) for
 * every cluster size, -S value and extended L2: qemu-img decides per write request and -S window which
 * clusters and subclusters it allocates, not per cluster, and so must we.
 */
class PlainQcow2IdentityTest {
    @TempDir
    static Path dir;

    /** Name -> raw file: dense mixed runs; sparse file with file-system holes; short odd-sized runs. */
    @BeforeAll
    static void inputs() throws Exception {
        mixed(dir.resolve("dense.raw"), 11, 1_300_000, false, 70_000);
        mixed(dir.resolve("sparse.raw"), 12, 1_700_000 + 700, true, 200_000);
        mixed(dir.resolve("short.raw"), 13, 300_000 + 1000, false, 6_000);
    }

    /**
     * Writes runs of random bytes, constant non-zero bytes and zero bytes, of random lengths (many not sector
     * multiples, so zero runs start and end inside sectors); with {@code holes}, some zero runs are left as
     * file-system holes (qemu-img sees them as zero extents through SEEK_DATA/SEEK_HOLE).
     */
    static void mixed(Path file, long seed, int size, boolean holes, int maxRun) throws Exception {
        Random r = new Random(seed);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int pos = 0;
            while (pos < size) {
                int len = Math.min(size - pos, 1 + r.nextInt(r.nextBoolean() ? 5_000 : maxRun));
                int kind = r.nextInt(4);
                byte[] b = new byte[len];
                if (kind == 0) {
                    r.nextBytes(b);
                } else if (kind == 1) {
                    java.util.Arrays.fill(b, (byte) (1 + r.nextInt(255)));
                } else if (kind == 2 && holes && len > 8192) {
                    pos += len; // a hole (whole file-system blocks inside it stay unallocated)
                    continue;
                }
                ch.write(ByteBuffer.wrap(b), pos);
                pos += len;
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.wrap(new byte[] {7}), size - 1);
            }
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String input : new String[] {"dense", "sparse", "short"}) {
            for (String cs : new String[] {"512", "1k", "2k", "4k", "64k", "2M"}) {
                for (String s : new String[] {"0", "4k", "64k"}) {
                    list.add(Arguments.of(input, "cluster_size=" + cs, s));
                }
            }
            for (String cs : new String[] {"16k", "64k", "2M"}) {
                for (String s : new String[] {"0", "4k", "64k"}) {
                    list.add(Arguments.of(input, "cluster_size=" + cs + ",extended_l2=on", s));
                }
            }
        }
        list.add(Arguments.of("sparse", "cluster_size=512,refcount_bits=1", "4k"));
        list.add(Arguments.of("dense", "cluster_size=1k,refcount_bits=64", "4k"));
        list.add(Arguments.of("sparse", "compat=0.10,cluster_size=2k", "4k"));
        list.add(Arguments.of("dense", "cluster_size=8k,extended_l2=off,refcount_bits=8", "8k"));
        list.add(Arguments.of("sparse", "cluster_size=32k,extended_l2=on", "1k"));
        return list.stream();
    }

    @ParameterizedTest(name = "{0} -o {1} -S {2}")
    @MethodSource("cases")
    void sameFileAsQemuImg(String input, String opts, String sparse) throws Exception {
        String tag = input + "-" + opts.replace(',', '_').replace('=', '-') + "-S" + sparse;
        Path src = dir.resolve(input + ".raw");
        Path theirs = dir.resolve(tag + "-qemu.qcow2");
        Path ours = dir.resolve(tag + "-qimg.qcow2");
        Proc.ok(dir, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-S", sparse, "-o", opts,
                src.toString(), theirs.toString());
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "qcow2", "-S", sparse, "-o", opts, "-m", "2",
                src.toString(), ours.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(Digests.md5(ours)).as("md5 of %s (%d bytes) vs qemu-img's (%d bytes)", tag, Files.size(ours),
                Files.size(theirs)).isEqualTo(Digests.md5(theirs));
        Files.delete(ours);
        Files.delete(theirs);
    }
}
