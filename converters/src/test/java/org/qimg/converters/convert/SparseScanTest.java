package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SparseScanTest {
    private static int[] runs(ByteBuffer b, int min) {
        int[] r = new int[64];
        int n = SparseScan.dataRuns(b, b.capacity(), 0, min, r);
        return Arrays.copyOf(r, 2 * n);
    }

    @Test
    void shortZeroGapsStayInsideDataLongOnesBecomeHoles() {
        ByteBuffer b = ByteBuffer.allocateDirect(64 * 512);
        b.put(0, (byte) 1);                 // data sector 0
        b.put(8 * 512, (byte) 1);           // gap of 7 sectors (< 8) -> joined
        b.put(40 * 512, (byte) 1);          // gap of 31 sectors (>= 8) -> hole
        assertThat(runs(b, 4096)).containsExactly(0, 16 * 512, 40 * 512, 8 * 512);
    }

    @Test
    void allZeroAndAllDataBuffers() {
        ByteBuffer z = ByteBuffer.allocateDirect(16 * 512);
        assertThat(runs(z, 4096)).isEmpty();
        ByteBuffer d = ByteBuffer.allocateDirect(16 * 512);
        for (int i = 0; i < 16 * 512; i++) {
            d.put(i, (byte) 0x55);
        }
        assertThat(runs(d, 4096)).containsExactly(0, 16 * 512);
    }
}
