package org.qimg.converters.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusterSetTest {

    @Test
    void mapsRangesToTouchedClusters() throws TraceFormatException {
        ClusterSet s = ClusterSet.of(List.of(new GuestRange(0, 512, 1), new GuestRange(65535, 2, 2),
                new GuestRange(10 * 65536, 65536, 3)), 65536, 1L << 30, "t");
        assertThat(s.cardinality()).isEqualTo(3);
        assertThat(s.contains(0)).isTrue();
        assertThat(s.contains(1)).isTrue();
        assertThat(s.contains(2)).isFalse();
        assertThat(s.contains(10)).isTrue();
        assertThat(s.contains(11)).isFalse();
        assertThat(s.runCount()).isEqualTo(2);
        assertThat(s.nextSetBit(2)).isEqualTo(10);
        assertThat(s.nextSetBit(11)).isEqualTo(-1);
    }

    @Test
    void hugeSparseDiskCostsOnlyTheRunsTouched() throws TraceFormatException {
        long eib = 1L << 60;
        ClusterSet s = ClusterSet.of(List.of(new GuestRange(eib - 512, 512, 1), new GuestRange(0, eib, 2)),
                512, eib, "t");
        assertThat(s.cardinality()).isEqualTo(eib / 512);
        assertThat(s.runCount()).isEqualTo(1);
        assertThat(s.contains(eib / 512 - 1)).isTrue();
        assertThat(s.contains(eib / 512)).isFalse();
    }

    @Test
    void rangePastVirtualSizeNamesItsLine() {
        assertThatThrownBy(() -> ClusterSet.of(List.of(new GuestRange(0, 512, 4), new GuestRange(4096, 4097, 7)),
                4096, 8192, "boot.trace"))
                .hasMessageStartingWith("boot.trace:7: read of 4097 bytes at offset 4096 ends past the image's virtual size 8192");
    }

    @Test
    void agreesWithBitSetOnRandomRanges() throws TraceFormatException {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            int clusterBits = 9 + rnd.nextInt(8);
            int cs = 1 << clusterBits;
            long size = (long) cs * (1 + rnd.nextInt(300));
            List<GuestRange> ranges = new ArrayList<>();
            BitSet expected = new BitSet();
            for (int i = rnd.nextInt(30); i > 0; i--) {
                long off = (long) (rnd.nextDouble() * size);
                long len = 1 + (long) (rnd.nextDouble() * Math.min(size - off, cs * 4L));
                if (off + len > size) {
                    continue;
                }
                ranges.add(new GuestRange(off, len, i));
                expected.set((int) (off / cs), (int) ((off + len - 1) / cs) + 1);
            }
            ClusterSet s = ClusterSet.of(ranges, cs, size, "t");
            assertThat(s.cardinality()).isEqualTo(expected.cardinality());
            for (long c = 0; c <= size / cs; c++) {
                assertThat(s.contains(c)).as("cluster %d", c).isEqualTo(expected.get((int) c));
                assertThat(s.nextSetBit(c)).isEqualTo(expected.nextSetBit((int) c));
            }
            for (int r = 1; r < s.runCount(); r++) {
                assertThat(s.runStart(r)).isGreaterThan(s.runEnd(r - 1));
            }
        }
    }
}
