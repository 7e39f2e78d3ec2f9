package org.qimg.format.qcow2.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RefcountArrayTest {

    @Test
    void untouchedEntriesAreZeroAndCostNothing() {
        RefcountArray a = new RefcountArray(16L << 20); // 1 TiB of 64 KiB clusters
        assertThat(a.get(0)).isZero();
        assertThat(a.get((16L << 20) - 1)).isZero();
        assertThat(a.allocatedBytes()).isZero();
        assertThat(a.allZero(0, a.size())).isTrue();
    }

    @Test
    void everyClusterInUseOfA1TiBImageFitsIn32MiB() {
        long n = 16L << 20;
        RefcountArray a = new RefcountArray(n);
        for (long i = 0; i < n; i++) {
            a.increment(i, 0xffff);
        }
        assertThat(a.allocatedBytes()).isEqualTo(32L << 20);
        assertThat(a.get(n - 1)).isEqualTo(1);
        assertThat(a.allZero(0, n)).isFalse();
    }

    @Test
    void countsAboveSixteenBitsEscapeToTheOverflowMap() {
        RefcountArray a = new RefcountArray(100);
        a.set(7, 0xfffe);
        assertThat(a.increment(7, -1L)).isTrue();
        assertThat(a.get(7)).isEqualTo(0xffff);
        assertThat(a.increment(7, -1L)).isTrue();
        assertThat(a.get(7)).isEqualTo(0x10000);
        a.set(8, -1L); // 2^64 - 1, the 64-bit maximum
        assertThat(a.get(8)).isEqualTo(-1L);
        assertThat(a.increment(8, -1L)).isFalse();
        a.set(7, 3); // back below the escape value
        assertThat(a.get(7)).isEqualTo(3);
    }

    @Test
    void incrementStopsAtTheWidthMaximum() {
        RefcountArray a = new RefcountArray(4);
        assertThat(a.increment(1, 1)).isTrue();
        assertThat(a.increment(1, 1)).isFalse(); // refcount_bits=1: a second reference overflows
        assertThat(a.get(1)).isEqualTo(1);
    }

    @Test
    void growsAndClears() {
        RefcountArray a = new RefcountArray(10);
        assertThatThrownBy(() -> a.get(10)).isInstanceOf(IndexOutOfBoundsException.class);
        a.grow(200_000);
        a.set(199_999, 5);
        assertThat(a.get(199_999)).isEqualTo(5);
        assertThat(a.allZero(0, 199_999)).isTrue();
        a.clear();
        assertThat(a.get(199_999)).isZero();
        assertThatThrownBy(() -> new RefcountArray(RefcountArray.MAX_ENTRIES + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void matchesAMapUnderRandomUpdates() {
        Random r = new Random(42);
        RefcountArray a = new RefcountArray(300_000);
        Map<Long, Long> ref = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            long k = r.nextInt(300_000);
            long v = switch (r.nextInt(4)) {
                case 0 -> 0;
                case 1 -> r.nextInt(10);
                case 2 -> 0xfff0 + r.nextInt(40);
                default -> r.nextLong();
            };
            a.set(k, v);
            ref.put(k, v);
        }
        ref.forEach((k, v) -> assertThat(a.get(k)).as("entry %d", k).isEqualTo(v));
    }
}
