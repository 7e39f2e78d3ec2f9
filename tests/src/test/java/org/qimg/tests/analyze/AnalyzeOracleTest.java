package org.qimg.tests.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.converters.trace.GuestRange;
import org.qimg.converters.trace.Trace;
import org.qimg.converters.trace.TraceParser;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/** {@code qimg analyze} numbers against qemu-img check/map, and the trace parser against real qemu-io traces. */
class AnalyzeOracleTest {
    static final int N = MixedClusters.N;
    static final int C = MixedClusters.CLUSTER;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path raw;

    @BeforeAll
    static void makeSource() throws Exception {
        raw = MixedClusters.mixedRaw(dir);
    }

    private static JsonNode analyze(Path img, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("analyze", "--output=json", "--sample", "16"));
        args.addAll(List.of(extra));
        args.add(img.toString());
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    @Test
    void censusAgreesWithQemuImgCheckAndMap() throws Exception {
        for (String codec : new String[] {"zlib", "zstd"}) {
            Path img = dir.resolve("a-" + codec + ".qcow2");
            // a 64 KiB-bigger virtual disk gives one unallocated cluster at the end
            Proc.ok(dir, "qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=" + codec,
                    raw.toString(), img.toString());
            Proc.ok(dir, "qemu-img", "resize", "-f", "qcow2", img.toString(), "+64k");
            Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -z " + (5 * C) + " " + C, img.toString());
            JsonNode check = JSON.readTree(Proc.run(dir, "qemu-img", "check", "--output=json", img.toString()).stdout());
            JsonNode map = JSON.readTree(Proc.ok(dir, "qemu-img", "map", "--output=json", img.toString()));
            long plain = 0;
            long compressed = 0;
            long zero = 0;
            long unalloc = 0;
            for (JsonNode e : map) {
                long n = e.get("length").asLong() / C;
                if (e.get("data").asBoolean()) {
                    if (e.has("offset")) {
                        plain += n;
                    } else {
                        compressed += n;
                    }
                } else if (e.get("zero").asBoolean() && e.get("present").asBoolean()) {
                    zero += n;
                } else {
                    unalloc += n;
                }
            }
            JsonNode a = analyze(img);
            JsonNode c = a.get("census");
            assertThat(a.get("compression-type").asText()).isEqualTo(codec);
            assertThat(c.get("compressed-clusters").asLong()).isEqualTo(check.get("compressed-clusters").asLong())
                    .isEqualTo(compressed);
            assertThat(c.get("plain-clusters").asLong()).isEqualTo(plain);
            assertThat(c.get("zero-clusters").asLong()).isEqualTo(zero).isEqualTo(1);
            assertThat(c.get("unallocated-clusters").asLong()).isEqualTo(unalloc);
            assertThat(c.get("compressed-clusters").asLong() + plain + zero + unalloc).isEqualTo(N + 1);
            long histogram = 0;
            for (JsonNode b : a.get("histogram")) {
                histogram += b.get("clusters").asLong();
            }
            assertThat(histogram).isEqualTo(compressed);
            // payload bytes: less than the file, more than zero; stored spans at least the payloads
            assertThat(c.get("compressed-payload-bytes").asLong()).isPositive()
                    .isLessThanOrEqualTo(c.get("compressed-stored-bytes").asLong())
                    .isLessThan(Files.size(img));
            assertThat(a.get("read-amplification").get("compressed-read-bytes").asLong()).isEqualTo(C);
            List<String> keys = new ArrayList<>();
            a.fieldNames().forEachRemaining(keys::add);
            assertThat(keys).containsExactly("image", "format", "virtual-size", "cluster-size", "file-size",
                    "compression-type", "census", "histogram", "decompression-cost", "read-amplification",
                    "recommendations");
        }
    }

    @Test
    void traceImpactCountsReadsOnCompressedClusters() throws Exception {
        Path img = dir.resolve("t.qcow2");
        Proc.ok(dir, "qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), img.toString());
        Path trace = dir.resolve("reads.txt");
        // cluster 0 text (compressed) twice, cluster 4 random (plain), 0-byte-crossing read of clusters 2-3
        Files.writeString(trace, "0 4k\n4k 4k\n" + (4 * C) + " 4k\n" + (3 * C - 512) + " 1k\n");
        JsonNode t = analyze(img, "--trace", trace.toString()).get("trace");
        assertThat(t.get("reads").asLong()).isEqualTo(4);
        assertThat(t.get("reads-on-compressed").asLong()).isEqualTo(3);
        assertThat(t.get("bytes-on-compressed").asLong()).isEqualTo(8192 + 1024);
        assertThat(t.get("compressed-clusters-touched").asLong()).isEqualTo(3);
        assertThat(t.get("clusters-touched").asLong()).isEqualTo(4);
        assertThat(t.get("decompressions").asLong()).isEqualTo(4);
        assertThat(t.get("replay-decompression-seconds").get("image").asDouble()).isPositive();
    }

    @Test
    void traceOutsideTheImageIsAnErrorNamingTheLine() throws Exception {
        Path img = dir.resolve("small.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-f", "qcow2", img.toString(), "1M");
        Path trace = dir.resolve("far.txt");
        Files.writeString(trace, "0 512\n2M 4k\n");
        ProcResult r = Qimg.inProcess("analyze", "--trace", trace.toString(), img.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("qimg: " + trace + ":2: read of 4096 bytes at offset 2097152 ends past");
    }

    @Test
    void parsesRealQemuIoTrace() throws Exception {
        Path img = dir.resolve("io.qcow2");
        Proc.ok(dir, "qemu-img", "create", "-f", "qcow2", img.toString(), "8M");
        Path log = dir.resolve("io.trace");
        Proc.ok(dir, "qemu-io", "--trace", "enable=blk_co_*,file=" + log, "-c", "read 0 64k", "-c",
                "read 1M 4k", "-c", "write 2M 4k", "-c", "read 7M 512", img.toString());
        Trace t = new TraceParser().parse(log);
        assertThat(t.kind()).isEqualTo("blk_co_preadv");
        assertThat(t.ignoredLines()).isPositive(); // blk_co_pwritev and friends
        assertThat(t.ranges()).extracting(GuestRange::offset, GuestRange::length)
                .contains(org.assertj.core.groups.Tuple.tuple(0L, 65536L),
                        org.assertj.core.groups.Tuple.tuple(1048576L, 4096L),
                        org.assertj.core.groups.Tuple.tuple(7340032L, 512L))
                .doesNotContain(org.assertj.core.groups.Tuple.tuple(2097152L, 4096L));
    }
}
