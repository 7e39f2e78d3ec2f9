package org.qimg.tests.create;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg measure} against qemu-img 7.2 where a sweep found them to differ: qcow2_measure checks fewer
 * option combinations than create and words some errors its own way, unknown options get a second error line,
 * --size wins over -o size, bitmaps are shown only for a v3 qcow2 source, and -l measures a snapshot.
 */
class MeasureOptionsOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void images() throws Exception {
        Qemu.assumeInstalled();
        Qemu q = new Qemu(dir);
        byte[] b = new byte[200_000];
        for (int i = 0; i < b.length; i += 7) {
            b[i] = (byte) i;
        }
        Files.write(dir.resolve("src.raw"), b);
        q.img("convert", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10", "src.raw", "v2.qcow2");
        q.img("convert", "-f", "raw", "-O", "qcow2", "src.raw", "snap.qcow2");
        q.img("snapshot", "-c", "s1", "snap.qcow2");
        q.io(dir.resolve("snap.qcow2"), "qcow2", "write -P 0x11 64k 64k");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "-O qcow2 v2.qcow2", "--output=json -O qcow2 v2.qcow2", "-O qcow2 -o cluster_size=2M v2.qcow2",
        "-O qcow2 -l s1 snap.qcow2", "-O qcow2 -l snapshot.id=1 snap.qcow2", "-O qcow2 snap.qcow2",
        "-O qcow2 -o size=5M --size 1G", "-O raw -o size=5M --size 1G",
        "-O qcow2 -o compat=0.10,lazy_refcounts=on,compression_type=zstd --size 1G",
        "-O qcow2 -o compat=0.10,refcount_bits=8 --size 1G", "-O qcow2 -o compat=v3 --size 1G",
        "-O qcow2 -o preallocation=bogus --size 1G", "-O qcow2 -o foo=1 --size 1G", "-O raw -o cluster_size=4k --size 1G",
        "-O qcow2 -o lazy_refcounts=maybe --size 1G", "-O qcow2 -o refcount_bits=abc --size 1G",
        "-O qcow2 -o backing_fmt=raw --size 1G", "-O qcow2 -o refcount_bits=0 --size 1G",
        "-O qcow2 -o extended_l2=on,cluster_size=8k --size 1G", "-f raw --size 1G", "-l s1 -O qcow2 --size 1G",
    })
    void sameOutputAsQemuImg(String spec) {
        List<String> a = new ArrayList<>(List.of("measure"));
        for (String s : spec.split(" ")) {
            a.add(s.endsWith(".qcow2") ? dir.resolve(s).toString() : s);
        }
        String[] args = a.toArray(String[]::new);
        ProcResult q = new Qemu(dir).imgResult(args);
        ProcResult r = Qimg.inProcess(args);
        assertThat(r.exitCode()).as("qemu-img: %s qimg: %s", q.stderr(), r.stderr()).isEqualTo(q.exitCode());
        assertThat(r.stdout()).isEqualTo(q.stdout());
        assertThat(r.stderr().replace("qimg: ", "P: ")).isEqualTo(q.stderr().replace("qemu-img: ", "P: "));
    }
}
