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
import org.qimg.converters.policy.PlainPolicies;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertTarget;
import org.qimg.converters.convert.Converter;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.codec.CompressionType;
import org.qimg.tests.analyze.MixedClusters.Kind;
import org.qimg.tests.analyze.MixedClusters.Stored;
import org.qimg.tests.support.Proc;

/**
 * Each plain-keeping policy, checked cluster by cluster in the output with {@code qemu-img map} as the
 * oracle (a compressed cluster has no host offset, a plain one has), plus {@code qemu-img check} and
 * {@code qemu-img compare}.
 */
class PolicyOracleTest {
    static final int N = MixedClusters.N;
    static final int C = MixedClusters.CLUSTER;
    @TempDir
    static Path dir;
    static Path raw;

    @BeforeAll
    static void makeSource() throws Exception {
        raw = MixedClusters.mixedRaw(dir);
    }

    static Path convert(String name, CompressionType t, PlainPolicies p) throws Exception {
        Path out = dir.resolve(name);
        // the path qimg convert -c -o cluster_size=C,compression_type=T --keep-plain... takes
        TargetImage target = ConvertTarget.create("qcow2", new TargetRequest(List.of("cluster_size=" + C,
                "compression_type=" + t.qemuName()), null, null, true), out.toString(), 1);
        try (DiskImage src = ImageFormats.open(raw, "raw")) {
            Converter.convert(List.of(src), out, ConvertOptions.builder().target(target).threads(2)
                    .policy(p.build(C, src.virtualSize())).build());
        }
        Proc.ok(dir, "qemu-img", "check", out.toString());
        Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(), out.toString());
        return out;
    }

    @Test
    void defaultPolicyMatchesQemuImgCluster() throws Exception {
        Path ours = convert("default.qcow2", CompressionType.ZLIB, new PlainPolicies(null, null, null));
        Path theirs = dir.resolve("qemu.qcow2");
        Proc.ok(dir, "qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), theirs.toString());
        List<Stored> q = storedByQemu(dir, theirs);
        assertThat(storedByQemu(dir, ours)).isEqualTo(q);
        for (int i = 0; i < N; i++) {
            assertThat(q.get(i)).as("cluster %d", i).isEqualTo(qemuDefault(i));
        }
    }

    @Test
    void keepPlainTraceStoresEveryTouchedClusterPlain() throws Exception {
        // touches clusters 0 (512 bytes), 7-8 (a read across the boundary), 14 and 21 (hex, suffix)
        Path trace = dir.resolve("t.trace");
        Files.writeString(trace, "# boot reads\n"
                + "virtio_blk_handle_read vdev 0x1 req 0x2 sector 0 nsectors 1\n"
                + "blk_co_preadv blk 0x1 bs 0x2 offset 4096 bytes 4096 flags 0x0\n"
                + "7@1.000002:virtio_blk_handle_read vdev 0x1 req 0x2 sector " + (8 * C / 512 - 1) + " nsectors 2\n"
                + "7@1.000003:virtio_block_other_event whatever\n"
                + "7@1.000004:virtio_blk_handle_read vdev 0x1 req 0x2 sector " + (14L * C / 512) + " nsectors 8\n"
                + "7@1.000005:virtio_blk_handle_read vdev 0x1 req 0x2 sector " + (21L * C / 512 + 5) + " nsectors 1\n");
        for (CompressionType t : CompressionType.values()) {
            Path out = convert("trace-" + t.qemuName() + ".qcow2", t, new PlainPolicies(List.of(trace), null, null));
            List<Stored> s = storedByQemu(dir, out);
            for (int i = 0; i < N; i++) {
                boolean kept = i == 0 || i == 7 || i == 8 || i == 14 || i == 21;
                Stored want = kept && qemuDefault(i) != Stored.ZERO ? Stored.PLAIN : qemuDefault(i);
                assertThat(s.get(i)).as("%s cluster %d", t, i).isEqualTo(want);
            }
        }
    }

    @Test
    void keepPlainRangesCoverTheirClustersOnly() throws Exception {
        // [64k, 3*64k) -> clusters 1, 2; [10*64k + 1, 10*64k + 2) -> cluster 10; 0x230000- -> 35..39
        Path out = convert("ranges.qcow2", CompressionType.ZLIB,
                new PlainPolicies(null, List.of("64k-192k,655361-655362", "0x230000-"), null));
        List<Stored> s = storedByQemu(dir, out);
        for (int i = 0; i < N; i++) {
            boolean kept = i == 1 || i == 2 || i == 10 || i >= 35;
            Stored want = kept && qemuDefault(i) != Stored.ZERO ? Stored.PLAIN : qemuDefault(i);
            assertThat(s.get(i)).as("cluster %d", i).isEqualTo(want);
        }
    }

    @Test
    void minSavingsKeepsOnlyClustersThatSaveEnough() throws Exception {
        // half-random clusters save about 45-50 %: kept compressed at 30 %, stored plain at 60 %
        Path low = convert("min30.qcow2", CompressionType.ZLIB, new PlainPolicies(null, null, 30.0));
        Path high = convert("min60.qcow2", CompressionType.ZLIB, new PlainPolicies(null, null, 60.0));
        List<Stored> a = storedByQemu(dir, low);
        List<Stored> b = storedByQemu(dir, high);
        for (int i = 0; i < N; i++) {
            assertThat(a.get(i)).as("30%% cluster %d", i).isEqualTo(qemuDefault(i));
            Stored want = kindOf(i) == Kind.HALF_RANDOM ? Stored.PLAIN : qemuDefault(i);
            assertThat(b.get(i)).as("60%% cluster %d", i).isEqualTo(want);
        }
    }

    @Test
    void policiesCombineAndAreDeterministic() throws Exception {
        PlainPolicies p = new PlainPolicies(null, List.of("0-128k"), 60.0);
        Path one = convert("comb1.qcow2", CompressionType.ZSTD, p);
        Path two = convert("comb2.qcow2", CompressionType.ZSTD, p);
        assertThat(Files.readAllBytes(one)).isEqualTo(Files.readAllBytes(two));
        List<Stored> s = storedByQemu(dir, one);
        for (int i = 0; i < N; i++) {
            Stored want = qemuDefault(i);
            if (want == Stored.COMPRESSED && (i < 2 || kindOf(i) == Kind.HALF_RANDOM)) {
                want = Stored.PLAIN;
            }
            assertThat(s.get(i)).as("cluster %d", i).isEqualTo(want);
        }
    }
}
