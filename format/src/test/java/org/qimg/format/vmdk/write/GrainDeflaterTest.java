package org.qimg.format.vmdk.write;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

class GrainDeflaterTest {

    private static byte[] inflate(ByteBuffer stream, int expected) throws Exception {
        Inflater inf = new Inflater(false); // zlib-wrapped, as QEMU's uncompress() expects
        inf.setInput(stream);
        byte[] out = new byte[expected + 1];
        int n = inf.inflate(out);
        assertThat(inf.finished()).isTrue();
        inf.end();
        return java.util.Arrays.copyOf(out, n);
    }

    @Test
    void incompressibleGrainIsStoredCompressedAndLargerThanItself() throws Exception {
        byte[] grain = new byte[65536];
        new Random(1).nextBytes(grain);
        try (GrainDeflater d = new GrainDeflater()) {
            ByteBuffer dst = ByteBuffer.allocate(GrainDeflater.bound(grain.length));
            int n = d.compress(ByteBuffer.wrap(grain), dst);
            assertThat(n).isGreaterThan(grain.length).isLessThanOrEqualTo(GrainDeflater.bound(grain.length));
            assertThat(dst.get(0)).as("zlib header, 32 KiB window").isEqualTo((byte) 0x78);
            assertThat(inflate(dst.flip(), grain.length)).isEqualTo(grain);
        }
    }

    @Test
    void tooSmallDestinationIsRefusedWithoutPartialOutput() {
        byte[] grain = new byte[65536];
        new Random(2).nextBytes(grain);
        try (GrainDeflater d = new GrainDeflater()) {
            ByteBuffer dst = ByteBuffer.allocate(1000);
            dst.position(10);
            assertThat(d.compress(ByteBuffer.wrap(grain), dst)).isEqualTo(-1);
            assertThat(dst.position()).isEqualTo(10);
            // the instance is reusable after a refusal
            ByteBuffer ok = ByteBuffer.allocateDirect(GrainDeflater.bound(grain.length));
            int n = d.compress(ByteBuffer.wrap(grain), ok);
            assertThat(n).isPositive();
        }
    }

    @Test
    void partialGrainRoundTrips() throws Exception {
        byte[] text = "a partial last grain ".repeat(100).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (GrainDeflater d = new GrainDeflater()) {
            ByteBuffer dst = ByteBuffer.allocate(GrainDeflater.bound(text.length));
            d.compress(ByteBuffer.wrap(text), dst);
            assertThat(inflate(dst.flip(), text.length)).isEqualTo(text);
        }
    }
}
