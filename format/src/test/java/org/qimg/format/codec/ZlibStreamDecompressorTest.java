package org.qimg.format.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** A VMDK grain's zlib stream: whole, checked, and no larger than the grain. */
class ZlibStreamDecompressorTest {

    private static byte[] zlib(byte[] data) {
        Deflater d = new Deflater(6, false);
        d.setInput(data);
        d.finish();
        byte[] out = new byte[data.length * 2 + 64];
        int n = d.deflate(out);
        d.end();
        return Arrays.copyOf(out, n);
    }

    private static byte[] sample(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        for (int i = 0; i < n / 2; i++) {
            b[i] = (byte) (i % 13);
        }
        return b;
    }

    @Test
    void expandsAWholeStreamAndIgnoresTrailingBytes() throws Exception {
        byte[] data = sample(65536);
        byte[] z = zlib(data);
        byte[] padded = Arrays.copyOf(z, z.length + 100);
        ByteBuffer out = ByteBuffer.allocate(65536);
        try (ZlibStreamDecompressor d = new ZlibStreamDecompressor()) {
            assertThat(d.decompress(ByteBuffer.wrap(padded), out)).isEqualTo(65536);
            assertThat(out.array()).isEqualTo(data);
            // a shorter grain (the last, partial one) is fine: the caller checks what it needs
            ByteBuffer small = ByteBuffer.allocate(65536);
            assertThat(d.decompress(ByteBuffer.wrap(zlib(Arrays.copyOf(data, 1536))), small)).isEqualTo(1536);
        }
    }

    @Test
    void refusesDamagedTruncatedAndOversizedStreams() {
        byte[] data = sample(65536);
        byte[] z = zlib(data);
        try (ZlibStreamDecompressor d = new ZlibStreamDecompressor()) {
            byte[] badSum = z.clone();
            badSum[badSum.length - 1] ^= 1;
            assertThatThrownBy(() -> d.decompress(ByteBuffer.wrap(badSum), ByteBuffer.allocate(65536)))
                    .isInstanceOf(DataFormatException.class);
            assertThatThrownBy(() -> d.decompress(ByteBuffer.wrap(Arrays.copyOf(z, z.length / 2)),
                    ByteBuffer.allocate(65536))).isInstanceOf(DataFormatException.class);
            assertThatThrownBy(() -> d.decompress(ByteBuffer.wrap(z), ByteBuffer.allocate(65535)))
                    .isInstanceOf(DataFormatException.class).hasMessageContaining("more than");
            byte[] raw = Arrays.copyOfRange(z, 2, z.length); // raw deflate: no zlib header
            assertThatThrownBy(() -> d.decompress(ByteBuffer.wrap(raw), ByteBuffer.allocate(65536)))
                    .isInstanceOf(DataFormatException.class);
        }
    }
}
