package org.qimg.tests.create;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/** qimg create / measure against qemu-img create / measure 7.2: same bytes, same numbers, same text. */
class CreateMeasureTest {
    @TempDir
    static Path dir;
    static Path raw;

    static ProcResult qemu(String... args) {
        return new Qemu(dir).imgResult(args);
    }

    @BeforeAll
    static void input() throws Exception {
        raw = dir.resolve("src.raw");
        byte[] b = new byte[3 * 65536 * 7 + 1000];
        Random r = new Random(9);
        for (int c = 0; c < 21; c++) {
            if (c % 3 != 1) {
                byte[] piece = new byte[65536];
                r.nextBytes(piece);
                System.arraycopy(piece, 0, b, c * 65536, c % 3 == 0 ? 65536 : 100);
            }
        }
        Files.write(raw, b);
        Files.write(dir.resolve("base.raw"), new byte[3 << 20]);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "-f qcow2 | 1G",
        "-f qcow2 | 1000",
        "-f qcow2 | 0",
        "-f qcow2 -o cluster_size=512 | 1G",
        "-f qcow2 -o cluster_size=512,refcount_bits=64 | 4G",
        "-f qcow2 -o cluster_size=2M,refcount_bits=1 | 100G",
        "-f qcow2 -o compat=0.10 | 10G",
        "-f qcow2 -o compression_type=zstd,lazy_refcounts=on,extended_l2=on | 1T",
        "-f qcow2 -o preallocation=metadata | 100M",
        "-f qcow2 -o preallocation=metadata,cluster_size=512,refcount_bits=64 | 3M",
        "-f qcow2 -o preallocation=metadata,extended_l2=on | 50M",
        "-f qcow2 -o preallocation=metadata | 1000",
        "-f qcow2 -b base.raw -F raw | ",
        "-f qcow2 -b base.raw -F raw -o compat=0.10,cluster_size=4k | 2G",
        "-f raw | 1000",
        "-f raw | 1G",
    })
    void createIsByteIdentical(String spec) throws Exception {
        String[] parts = spec.split("\\|");
        List<String> opts = new ArrayList<>(Arrays.asList(parts[0].trim().split(" ")));
        String size = parts[1].trim();
        String name = "img" + Integer.toHexString(spec.hashCode());
        Path ours = dir.resolve(name + "-qimg");
        Path theirs = dir.resolve(name + "-qemu");
        List<String> a = new ArrayList<>(List.of("create"));
        a.addAll(opts);
        a.add(ours.toString());
        List<String> b = new ArrayList<>(a);
        b.set(b.size() - 1, theirs.toString());
        if (!size.isEmpty()) {
            a.add(size);
            b.add(size);
        }
        ProcResult q = qemu(b.toArray(String[]::new));
        assertThat(q.exitCode()).as(q.stderr()).isZero();
        ProcResult r = Qimg.inProcess(a.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout().replace(ours.toString(), "X")).isEqualTo(q.stdout().replace(theirs.toString(), "X"));
        assertThat(Files.size(ours)).isEqualTo(Files.size(theirs));
        assertThat(Digests.md5(ours)).isEqualTo(Digests.md5(theirs));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--size 1G -O qcow2",
        "--output=json --size 1G -O qcow2",
        "--size 1G",
        "-O qcow2 -o cluster_size=512,refcount_bits=1 --size 5G",
        "-O qcow2 -o extended_l2=on,cluster_size=2M --size 100G",
        "-O qcow2 -o preallocation=full --size 7M",
        "-O qcow2 SRC",
        "--output=json -O qcow2 SRC",
        "-O qcow2 -o cluster_size=4k,compat=0.10 SRC",
        "-O qcow2 -o backing_file=x SRC",
        "-O raw SRC",
        "-O qcow2 QSRC",
        "--output=json -O qcow2 -o cluster_size=2M QSRC",
        "-O qcow2 -o compat=0.10 QSRC",
    })
    void measureMatches(String spec) throws Exception {
        Path qsrc = dir.resolve("src.qcow2");
        if (!Files.exists(qsrc)) {
            assertThat(qemu("convert", "-f", "raw", "-O", "qcow2", raw.toString(), qsrc.toString()).exitCode()).isZero();
        }
        List<String> args = new ArrayList<>(List.of("measure"));
        for (String s : spec.split(" ")) {
            args.add(s.equals("SRC") ? raw.toString() : s.equals("QSRC") ? qsrc.toString() : s);
        }
        ProcResult q = qemu(args.toArray(String[]::new));
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(q.exitCode());
        assertThat(r.stdout()).isEqualTo(q.stdout());
    }
}
