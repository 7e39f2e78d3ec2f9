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
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg create} and {@code qimg measure --size} against qemu-img 7.2 for argument spellings and invalid
 * option values: same exit code, same stdout (qemu-img prints the "Formatting" line before it checks option
 * values), same error text, and the same file left behind (byte for byte, or none).
 */
class CreateArgumentsOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() throws Exception {
        Qemu.assumeInstalled();
        byte[] b = new byte[3 << 20];
        java.util.Arrays.fill(b, 100_000, 300_000, (byte) 7);
        Files.write(dir.resolve("base.raw"), b);
        new Qemu(dir).img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "mid.qcow2", "5000k");
    }

    /** "BACKING ARGS | -o OPTIONS | SIZE" for qcow2, run in the directory holding base.raw and mid.qcow2. */
    @ParameterizedTest
    @ValueSource(strings = {
        // preallocation with a backing file is allowed with extended L2 (entries keep reading from the backing)
        "-b base.raw -F raw | extended_l2=on,preallocation=metadata | ",
        "-b base.raw -F raw | extended_l2=on,preallocation=metadata | 1M",
        "-b mid.qcow2 -F qcow2 | extended_l2=on,preallocation=metadata,cluster_size=32k | ",
        "-b base.raw -F raw | preallocation=metadata | ", "-b base.raw -F raw | compat=0.10 | 2M",
        "-F raw | | 1M", "-b mid.qcow2 -F qcow2 | size=1M | 2M",
        // errors with qemu-img's hint lines
        "-b base.raw | | ", "-b mid.qcow2 | | 1M", "-b nosuch.qcow2 -F qcow2 | | 1M", "-b nosuch.qcow2 | | ",
        "-b base.raw | backing_fmt=raw | ",
    })
    void createWithBackingMatchesQemuImg(String spec) throws Exception {
        String[] p = spec.split("\\|", -1);
        String tag = "b" + Integer.toHexString(spec.hashCode());
        Path theirs = dir.resolve(tag + "-qemu");
        Path ours = dir.resolve(tag + "-qimg");
        // relative backing names are taken against the new image's directory (given absolute here)
        ProcResult q = new Qemu(dir).imgResult(backingArgs(p, theirs.toString()));
        ProcResult r = Qimg.inProcess(backingArgs(p, ours.toString()));
        assertThat(r.exitCode()).as("qemu-img said %s, qimg %s", q.stderr(), r.stderr()).isEqualTo(q.exitCode());
        assertThat(r.stdout().replace(ours.toString(), "F")).isEqualTo(q.stdout().replace(theirs.toString(), "F"));
        assertThat(normalize(r.stderr(), ours)).isEqualTo(normalize(q.stderr(), theirs));
        assertThat(Files.exists(ours)).isEqualTo(Files.exists(theirs));
        if (Files.exists(theirs)) {
            assertThat(Digests.md5(ours)).isEqualTo(Digests.md5(theirs));
        }
    }

    private static String[] backingArgs(String[] spec, String file) {
        List<String> a = new ArrayList<>(List.of("create", "-f", "qcow2"));
        a.addAll(List.of(spec[0].trim().split(" ")));
        if (!spec[1].isBlank()) {
            a.add("-o");
            a.add(spec[1].trim());
        }
        a.add(file);
        if (!spec[2].isBlank()) {
            a.add(spec[2].trim());
        }
        return a.toArray(String[]::new);
    }

    /** "FORMAT | -o OPTIONS | SIZE" (OPTIONS may be empty). */
    @ParameterizedTest
    @ValueSource(strings = {
        // sizes: qemu_strtosz rounds fractions half up, takes hex, '+' and leading blanks, refuses the rest
        "raw | | 1.3M", "qcow2 | | 1.3M", "raw | | 0.0005k", "raw | | 2047.9999999999999999k", "raw | | 1.",
        "raw | | 1.k", "qcow2 | | 0x1000", "raw | | 0x1000k", "raw | | +4M", "raw | | \t4M", "raw | | 1.5",
        "raw | | 1.5b", "raw | | 4M ", "raw | | 4MB", "raw | | 1e3", "raw | | 1.5e3", "raw | | abc", "raw | | ",
        "raw | | 8E", "raw | | 100000000000000000000", "raw | | 99999999999999999999k", "qcow2 | | 7.99E",
        "qcow2 | | 1E",
        // option values refused after the "Formatting" line, in qemu-img's order
        "qcow2 | cluster_size=3000 | 4M", "qcow2 | cluster_size=4M | 4M", "qcow2 | cluster_size=1.5k | 4M",
        "qcow2 | compat=1.0 | 4M", "qcow2 | compat= | 4M", "qcow2 | refcount_bits=3 | 4M",
        "qcow2 | refcount_bits=0 | 4M", "qcow2 | refcount_bits=128 | 4M", "qcow2 | refcount_bits=0x8 | 4M",
        "qcow2 | compression_type=lz4 | 4M", "qcow2 | preallocation=bogus | 4M",
        "qcow2 | extended_l2=on,cluster_size=8k | 4M", "qcow2 | compat=0.10,refcount_bits=8 | 4M",
        "qcow2 | compat=0.10,lazy_refcounts=on | 4M", "qcow2 | compat=0.10,extended_l2=on | 4M",
        "qcow2 | compat=0.10,compression_type=zstd | 4M", "qcow2 | compat=0.10,extended_l2=on,cluster_size=4k | 4M",
        "qcow2 | compat=1.0,preallocation=bogus,compression_type=lz4 | 4M", "qcow2 | size=1M | 4M",
        "qcow2 | backing_fmt=raw | 4M", "qcow2 | lazy_refcounts=yes | 4M",
        // extended L2 preallocation ends the file at the subcluster holding the guest end
        "qcow2 | cluster_size=2M,extended_l2=on,preallocation=metadata | 5910528",
        "qcow2 | extended_l2=on,preallocation=metadata | 1.3M", "qcow2 | cluster_size=32k,extended_l2=on,preallocation=metadata | 3000k",
    })
    void createMatchesQemuImg(String spec) throws Exception {
        String[] p = spec.split("\\|", -1);
        String format = p[0].trim();
        String opts = p[1].trim();
        String size = p[2].substring(1); // as written after "| ", trailing blanks included
        String tag = "c" + Integer.toHexString(spec.hashCode());
        Path theirs = dir.resolve(tag + "-qemu");
        Path ours = dir.resolve(tag + "-qimg");
        ProcResult q = new Qemu(dir).imgResult(args(format, opts, theirs, size));
        ProcResult r = Qimg.inProcess(args(format, opts, ours, size));
        assertThat(r.exitCode()).as("exit code; qemu-img said %s, qimg %s", q.stderr(), r.stderr())
                .isEqualTo(q.exitCode());
        assertThat(r.stdout().replace(ours.toString(), "F")).isEqualTo(q.stdout().replace(theirs.toString(), "F"));
        assertThat(normalize(r.stderr(), ours)).isEqualTo(normalize(q.stderr(), theirs));
        assertThat(Files.exists(ours)).as("file left behind").isEqualTo(Files.exists(theirs));
        if (Files.exists(theirs)) {
            assertThat(Digests.md5(ours)).isEqualTo(Digests.md5(theirs));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.3M", "0x100000", "+1G", "1.5", "8E", "7.99E", "abc", "1.0001k"})
    void measureSizeMatchesQemuImg(String size) {
        String[] a = {"measure", "--output=json", "-O", "qcow2", "--size", size};
        ProcResult q = new Qemu(dir).imgResult(a);
        ProcResult r = Qimg.inProcess(a);
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(q.exitCode());
        assertThat(r.stdout()).isEqualTo(q.stdout());
        assertThat(normalize(r.stderr(), dir)).isEqualTo(normalize(q.stderr(), dir));
    }

    private static String[] args(String format, String opts, Path file, String size) {
        List<String> a = new ArrayList<>(List.of("create", "-f", format));
        if (!opts.isEmpty()) {
            a.add("-o");
            a.add(opts);
        }
        a.add(file.toString());
        a.add(size);
        return a.toArray(String[]::new);
    }

    private static String normalize(String stderr, Path file) {
        return stderr.replace(file.toString(), "F").replace("qemu-img: ", "P: ").replace("qimg: ", "P: ");
    }
}
