package org.qimg.format.qcow2.read;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class MetadataPreallocationTest {

    @Test
    void countsNonZeroRefcountsOfEveryWidth() {
        // 1-bit entries, packed from the least significant bit: entries 0, 3 and 9 set
        ByteBuffer b = ByteBuffer.allocate(512);
        b.put(0, (byte) 0b0000_1001).put(1, (byte) 0b0000_0010);
        assertThat(MetadataPreallocation.nonZero(b, 16, 0)).isEqualTo(3);
        assertThat(MetadataPreallocation.nonZero(b, 9, 0)).isEqualTo(2); // entry 9 not among the first 9
        // 4-bit entries: byte 0 holds entries 0 (low nibble) and 1 (high nibble)
        ByteBuffer n = ByteBuffer.allocate(512);
        n.put(0, (byte) 0xf0).put(2, (byte) 0x01);
        assertThat(MetadataPreallocation.nonZero(n, 8, 2)).isEqualTo(2);
        // 16-bit big-endian entries: only the low byte of entry 1 set
        ByteBuffer w = ByteBuffer.allocate(512);
        w.put(3, (byte) 1).put(8, (byte) 0x80);
        assertThat(MetadataPreallocation.nonZero(w, 8, 4)).isEqualTo(2);
        // 64-bit entries: a refcount with only its top byte set still counts
        ByteBuffer l = ByteBuffer.allocate(512);
        l.put(16, (byte) 0x01).put(63, (byte) 0x01);
        assertThat(MetadataPreallocation.nonZero(l, 8, 6)).isEqualTo(2);
        assertThat(MetadataPreallocation.nonZero(l, 7, 6)).isEqualTo(1);
    }
}
