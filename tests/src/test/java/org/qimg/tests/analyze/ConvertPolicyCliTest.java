package org.qimg.tests.analyze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qimg.tests.analyze.MixedClusters.kindOf;
import static org.qimg.tests.analyze.MixedClusters.qemuDefault;
import static org.qimg.tests.analyze.MixedClusters.storedByQemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.analyze.MixedClusters.Kind;
import org.qimg.tests.analyze.MixedClusters.Stored;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg convert -c --keep-plain-trace/--keep-plain/--min-savings} through the command line, with
 * {@code qemu-img map} (plain clusters have an offset, compressed ones do not), {@code check} and
 * {@code compare} as the oracle.
 */
class ConvertPolicyCliTest {
    static final int N = MixedClusters.N;
    static final int C = MixedClusters.CLUSTER;
    @TempDir
    static Path dir;
    static Path raw;

    @BeforeAll
    static void makeSource() throws Exception {
        raw = MixedClusters.mixedRaw(dir);
    }

    private static Path convert(String name, String... options) throws Exception {
        Path out = dir.resolve(name);
        String[] args = new String[options.length + 7];
        args[0] = "convert";
        args[1] = "-c";
        args[2] = "-f";
        args[3] = "raw";
        args[4] = "-O";
        args[5] = "qcow2";
        System.arraycopy(options, 0, args, 6, options.length);
        args[args.length - 1] = raw.toString();
        String[] full = java.util.Arrays.copyOf(args, args.length + 1);
        full[full.length - 1] = out.toString();
        ProcResult r = Qimg.inProcess(full);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Proc.ok(dir, "qemu-img", "check", out.toString());
        Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(), out.toString());
        return out;
    }

    @Test
    void traceAndRangesKeepTheirClustersPlain() throws Exception {
        // trace: cluster 0 and the boundary of clusters 7/8; ranges: clusters 1-2, and 35.. to the end
        Path trace = dir.resolve("boot.trace");
        Files.writeString(trace, "virtio_blk_handle_read vdev 0x1 req 0x2 sector 0 nsectors 1\n"
                + "virtio_blk_handle_read vdev 0x1 req 0x2 sector " + (8 * C / 512 - 1) + " nsectors 2\n");
        Path out = convert("kept.qcow2", "--keep-plain-trace", trace.toString(), "--keep-plain", "64k-192k",
                "--keep-plain", "0x230000-");
        List<Stored> s = storedByQemu(dir, out);
        int plain = 0;
        int compressed = 0;
        for (int i = 0; i < N; i++) {
            boolean kept = i <= 2 || i == 7 || i == 8 || i >= 35;
            Stored def = qemuDefault(i);
            Stored want = kept && def != Stored.ZERO ? Stored.PLAIN : def;
            assertThat(s.get(i)).as("cluster %d", i).isEqualTo(want);
            plain += s.get(i) == Stored.PLAIN ? 1 : 0;
            compressed += s.get(i) == Stored.COMPRESSED ? 1 : 0;
        }
        assertThat(plain).isPositive();
        assertThat(compressed).isPositive();
    }

    @Test
    void minSavingsWithZstd() throws Exception {
        Path out = convert("min60.qcow2", "-o", "compression_type=zstd", "--min-savings", "60");
        List<Stored> s = storedByQemu(dir, out);
        for (int i = 0; i < N; i++) {
            Stored want = kindOf(i) == Kind.HALF_RANDOM ? Stored.PLAIN : qemuDefault(i);
            assertThat(s.get(i)).as("cluster %d", i).isEqualTo(want);
        }
        assertThat(Proc.ok(dir, "qemu-img", "info", out.toString())).contains("compression type: zstd");
    }

    @Test
    void policyOptionsNeedCompression() throws Exception {
        for (String[] opt : new String[][] {{"--keep-plain", "0-64k"}, {"--min-savings", "10"},
                {"--keep-plain-trace", "missing.trace"}}) {
            Path out = dir.resolve("nope.qcow2");
            ProcResult r = Qimg.inProcess("convert", "-O", "qcow2", opt[0], opt[1], raw.toString(), out.toString());
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.stderr()).contains("need -c").doesNotContain("Exception");
            assertThat(out).doesNotExist();
        }
        ProcResult bad = Qimg.inProcess("convert", "-c", "-O", "qcow2", "--keep-plain", "64k-32k", raw.toString(),
                dir.resolve("bad.qcow2").toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).contains("--keep-plain").contains("empty");
        assertThat(dir.resolve("bad.qcow2")).doesNotExist();
    }
}
