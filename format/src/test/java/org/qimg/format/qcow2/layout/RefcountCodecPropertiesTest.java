package org.qimg.format.qcow2.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Refcount block entries of every width (refcount_order 0..6) round-trip without touching their neighbours. */
class RefcountCodecPropertiesTest {

    @Property
    void setThenGetTouchesOnlyThatEntry(@ForAll @IntRange(min = 0, max = 6) int order,
                                        @ForAll @IntRange(min = 9, max = 16) int blockBits,
                                        @ForAll long seed) {
        Random r = new Random(seed);
        byte[] block = new byte[1 << blockBits];
        r.nextBytes(block);
        int entries = (block.length * 8) >> order;
        int index = r.nextInt(entries);
        long max = RefcountCodec.max(order);
        long value = order == 6 ? r.nextLong() : Math.floorMod(r.nextLong(), max + 1);
        byte[] before = block.clone();

        RefcountCodec.set(block, index, order, value);

        assertThat(RefcountCodec.get(block, index, order)).isEqualTo(value);
        int from = RefcountCodec.byteOffset(index, order);
        int to = from + RefcountCodec.byteLength(order);
        assertThat(Arrays.equals(block, 0, from, before, 0, from)).as("bytes before the entry").isTrue();
        assertThat(Arrays.equals(block, to, block.length, before, to, before.length)).as("bytes after").isTrue();
        for (int i = Math.max(0, index - 9); i < Math.min(entries, index + 9); i++) {
            if (i != index) {
                assertThat(RefcountCodec.get(block, i, order)).as("neighbour %d", i)
                        .isEqualTo(RefcountCodec.get(before, i, order));
            }
        }
    }

    @Property
    void maxIsTheWidthsLargestValue(@ForAll @IntRange(min = 0, max = 6) int order) {
        int bits = 1 << order;
        long max = RefcountCodec.max(order);
        assertThat(Long.toUnsignedString(max))
                .isEqualTo(java.math.BigInteger.TWO.pow(bits).subtract(java.math.BigInteger.ONE).toString());
        byte[] block = new byte[8];
        RefcountCodec.set(block, 0, order, max);
        assertThat(RefcountCodec.get(block, 0, order)).isEqualTo(max);
    }

    @Property
    void multiByteEntriesAreBigEndian(@ForAll @IntRange(min = 3, max = 6) int order, @ForAll long value) {
        int bytes = 1 << (order - 3);
        long v = order == 6 ? value : value & RefcountCodec.max(order);
        byte[] block = new byte[bytes * 2];
        RefcountCodec.set(block, 1, order, v);
        long decoded = 0;
        for (int i = 0; i < bytes; i++) {
            decoded = (decoded << 8) | (block[bytes + i] & 0xff);
        }
        assertThat(decoded).isEqualTo(v);
    }
}
