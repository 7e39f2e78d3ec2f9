package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code convert} option combinations found to differ from qemu-img 7.2 by a sweep, each compared byte for
 * byte with qemu-img's output for the same arguments.
 */
class ConvertOptionsOracleTest {
    @TempDir
    static Path dir;

    /** zeros.raw: data, zero clusters, a zero hole, an odd tail; tiny.raw: 1000 zero bytes. */
    @BeforeAll
    static void inputs() throws Exception {
        Qemu.assumeInstalled();
        Random r = new Random(5);
        try (FileChannel ch = FileChannel.open(dir.resolve("zeros.raw"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            byte[] b = new byte[65536];
            r.nextBytes(b);
            ch.write(ByteBuffer.wrap(b), 0);                 // cluster 0: incompressible
            ch.write(ByteBuffer.wrap(new byte[65536]), 65536); // cluster 1: written zeros
            byte[] t = new byte[3000];
            Arrays.fill(t, (byte) 'q');
            ch.write(ByteBuffer.wrap(t), 5 * 65536 + 100);   // clusters 2-4: a hole; 5: compressible
            ch.write(ByteBuffer.wrap(new byte[] {9}), 7 * 65536 + 4000); // odd size
        }
        Files.write(dir.resolve("tiny.raw"), new byte[1000]);
        Qemu q = new Qemu(dir);
        q.img("convert", "-f", "raw", "-O", "qcow2", "zeros.raw", "zeros.qcow2");
        byte[] big = new byte[600_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt() : i / 1000);
        }
        Files.write(dir.resolve("big.raw"), big);
        q.img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4k", "big.raw", "zlib4k.qcow2");
        q.img("convert", "-c", "-f", "raw", "-O", "qcow2", "big.raw", "zlib64k.qcow2");
        // host clusters out of guest order: block-status runs end where host offsets jump
        q.img("create", "-f", "qcow2", "-o", "cluster_size=4k", "frag.qcow2", "600k");
        q.io(dir.resolve("frag.qcow2"), "qcow2", "write -P 1 400k 40k", "write -P 2 0 100k", "write -P 3 200k 20k",
                "write -P 4 100k 100k");
    }

    /** "SOURCE | ARGS": qemu-img -c -S 0 compresses zero clusters too (they are written as data). */
    @ParameterizedTest
    @ValueSource(strings = {
        "zeros.raw | -c -S 0", "tiny.raw | -c -S 0", "zeros.qcow2 | -c -S 0", "zeros.raw | -c -S 0 -o cluster_size=4k",
        "zeros.raw | -c -S 0 -o compat=0.10", "zeros.raw | -c -S 4k", "zeros.raw | -c",
        // compressed clusters are separate block-status runs, so separate qemu-img requests: with small target
        // clusters, refcount blocks land between the data of two requests
        "zlib4k.qcow2 | -o cluster_size=512", "zlib64k.qcow2 | -o cluster_size=512", "zlib4k.qcow2 | -o cluster_size=1k",
        "zlib4k.qcow2 | ", "zlib64k.qcow2 | -o cluster_size=512,refcount_bits=64", "frag.qcow2 | -o cluster_size=512",
        "zlib4k.qcow2 | -o cluster_size=16k,extended_l2=on",
    })
    void sameFileAsQemuImg(String spec) throws Exception {
        String[] p = spec.split("\\|");
        String src = p[0].trim();
        List<String> a = new ArrayList<>(List.of("convert", "-O", "qcow2"));
        if (!p[1].isBlank()) {
            a.addAll(List.of(p[1].trim().split(" ")));
        }
        a.add(dir.resolve(src).toString());
        String tag = "o" + Integer.toHexString(spec.hashCode());
        Path theirs = dir.resolve(tag + "-qemu.qcow2");
        Path ours = dir.resolve(tag + "-qimg.qcow2");
        List<String> q = new ArrayList<>(List.of("qemu-img"));
        q.addAll(a);
        q.add(theirs.toString());
        Proc.ok(dir, q.toArray(String[]::new));
        a.add(ours.toString());
        ProcResult r = Qimg.inProcess(a.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(Digests.md5(ours)).as("md5 vs qemu-img's (%d vs %d bytes)", Files.size(ours), Files.size(theirs))
                .isEqualTo(Digests.md5(theirs));
    }
}
