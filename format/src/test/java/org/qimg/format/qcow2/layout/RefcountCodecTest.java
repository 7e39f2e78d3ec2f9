package org.qimg.format.qcow2.layout;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RefcountCodecTest {

    @Test
    void subByteEntriesArePackedFromTheLowBit() {
        byte[] b = new byte[4];
        RefcountCodec.set(b, 0, 0, 1);
        RefcountCodec.set(b, 3, 0, 1);
        assertThat(b[0]).isEqualTo((byte) 0b1001);
        RefcountCodec.set(b, 1, 1, 3); // 2-bit entry 1: bits 2..3 of byte 0
        assertThat(b[0] & 0xff).isEqualTo(0b1101);
        RefcountCodec.set(b, 3, 2, 0xa); // 4-bit entry 3: high nibble of byte 1
        assertThat(b[1] & 0xff).isEqualTo(0xa0);
        assertThat(RefcountCodec.get(b, 3, 2)).isEqualTo(0xa);
        assertThat(RefcountCodec.get(b, 2, 2)).isZero();
    }

    @Test
    void wideEntriesAreBigEndian() {
        byte[] b = new byte[16];
        RefcountCodec.set(b, 1, 4, 0x1234);
        assertThat(b[2]).isEqualTo((byte) 0x12);
        assertThat(b[3]).isEqualTo((byte) 0x34);
        RefcountCodec.set(b, 1, 6, 0x0102030405060708L);
        assertThat(b[8]).isEqualTo((byte) 1);
        assertThat(b[15]).isEqualTo((byte) 8);
        assertThat(RefcountCodec.get(b, 1, 6)).isEqualTo(0x0102030405060708L);
        RefcountCodec.set(b, 0, 5, 0xfffffffeL);
        assertThat(RefcountCodec.get(b, 0, 5)).isEqualTo(0xfffffffeL);
    }

    @Test
    void everyWidthRoundTripsItsMaximum() {
        for (int order = 0; order <= 6; order++) {
            byte[] b = new byte[64];
            long max = RefcountCodec.max(order);
            RefcountCodec.set(b, 5, order, max);
            assertThat(RefcountCodec.get(b, 5, order)).as("order %d", order).isEqualTo(max);
            assertThat(RefcountCodec.get(b, 4, order)).isZero();
            assertThat(RefcountCodec.get(b, 6, order)).isZero();
        }
    }
}
