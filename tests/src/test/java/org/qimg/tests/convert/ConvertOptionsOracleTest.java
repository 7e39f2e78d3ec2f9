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
        new Qemu(dir).img("convert", "-f", "raw", "-O", "qcow2", "zeros.raw", "zeros.qcow2");
    }

    /** "SOURCE | ARGS": qemu-img -c -S 0 compresses zero clusters too (they are written as data). */
    @ParameterizedTest
    @ValueSource(strings = {
        "zeros.raw | -c -S 0", "tiny.raw | -c -S 0", "zeros.qcow2 | -c -S 0", "zeros.raw | -c -S 0 -o cluster_size=4k",
        "zeros.raw | -c -S 0 -o compat=0.10", "zeros.raw | -c -S 4k", "zeros.raw | -c",
    })
    void sameFileAsQemuImg(String spec) throws Exception {
        String[] p = spec.split("\\|");
        String src = p[0].trim();
        List<String> a = new ArrayList<>(List.of("convert", "-O", "qcow2"));
        a.addAll(List.of(p[1].trim().split(" ")));
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
