package org.qimg.converters.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.converters.convert.CompressionPolicy;
import org.qimg.converters.trace.GuestRange;

class PlainPoliciesTest {
    static final int C = 65536;
    static final ByteBuffer CLUSTER = ByteBuffer.allocate(C);

    @TempDir
    Path dir;

    @Test
    void rangesParseWithSuffixesAndOpenEnd() throws Exception {
        assertThat(PlainPolicies.parseRanges("0-1G,4G-5G", 8L << 30)).containsExactly(
                new GuestRange(0, 1L << 30, 1), new GuestRange(4L << 30, 1L << 30, 2));
        assertThat(PlainPolicies.parseRanges("0x1000-", 8192)).containsExactly(new GuestRange(4096, 4096, 1));
    }

    @Test
    void badRangesSayWhichAndWhy() {
        assertThatThrownBy(() -> PlainPolicies.parseRanges("0-1G,5G", 8L << 30))
                .hasMessage("--keep-plain: range 2 '5G' is not START-END (e.g. 0-1G,4G-5G)");
        assertThatThrownBy(() -> PlainPolicies.parseRanges("2G-1G", 8L << 30)).hasMessageContaining("is empty");
        assertThatThrownBy(() -> PlainPolicies.parseRanges("0-9G", 8L << 30)).hasMessageContaining("past the virtual size");
        assertThatThrownBy(() -> PlainPolicies.parseRanges("0-1Q", 8L << 30)).hasMessageContaining("expected a byte count");
        assertThatThrownBy(() -> PlainPolicies.parseRanges("", 8L << 30)).hasMessageContaining("range 1");
    }

    @Test
    void minSavingsThreshold() {
        MinSavingsPolicy p = new MinSavingsPolicy(25);
        assertThat(p.maxPayload(C)).isEqualTo(49152);
        assertThat(p.keepCompressed(0, CLUSTER.duplicate(), 49152)).isTrue();
        assertThat(p.keepCompressed(0, CLUSTER.duplicate(), 49153)).isFalse();
        assertThat(p.keepCompressed(0, CLUSTER.duplicate(), -1)).isFalse();
        assertThatThrownBy(() -> new MinSavingsPolicy(101)).hasMessageContaining("between 0 and 100");
        assertThatThrownBy(() -> new MinSavingsPolicy(Double.NaN)).hasMessageContaining("between 0 and 100");
    }

    @Test
    void combinedPolicyKeepsTraceRangesAndPoorSavingsPlain() throws Exception {
        Path trace = Files.writeString(dir.resolve("t"), "virtio_blk_handle_read vdev 0x1 req 0x2 sector 256 nsectors 1\n");
        CompressionPolicy p = new PlainPolicies(List.of(trace), List.of("1M-1088k"), 50.0).build(C, 4L << 20);
        // sector 256 = 128 KiB -> cluster 2; 1 MiB .. 1 MiB + 64 KiB -> cluster 16
        for (long c = 0; c < 64; c++) {
            boolean kept = c == 2 || c == 16;
            assertThat(p.attempt(c, CLUSTER.duplicate())).as("cluster %d", c).isEqualTo(!kept);
            assertThat(p.keepCompressed(c, CLUSTER.duplicate(), 1000)).isEqualTo(!kept);
            assertThat(p.keepCompressed(c, CLUSTER.duplicate(), 40000)).isFalse();
        }
    }

    @Test
    void noOptionsIsQemusRule() throws Exception {
        assertThat(new PlainPolicies(null, null, null).build(C, 1 << 20)).isSameAs(CompressionPolicy.QEMU);
    }

    @Test
    void traceErrorsNameFileAndLine() throws Exception {
        Path trace = Files.writeString(dir.resolve("boot.trace"), "0 4k\n8M 4k\n");
        assertThatThrownBy(() -> new PlainPolicies(List.of(trace), null, null).build(C, 4L << 20))
                .hasMessageStartingWith(trace + ":2: read of 4096 bytes at offset 8388608 ends past");
    }
}
