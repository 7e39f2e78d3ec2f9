package org.qimg.format.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.luben.zstd.Zstd;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ClusterDecompressorTest {
    private static final int CLUSTER = 65536;

    private static byte[] cluster() {
        byte[] b = new byte[CLUSTER];
        Random r = new Random(3);
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i % 300 < 200 ? i / 50 : r.nextInt());
        }
        return b;
    }

    private static byte[] compress(CompressionType t, byte[] plain) {
        if (t == CompressionType.ZSTD) {
            return Zstd.compress(plain, 3);
        }
        Deflater d = new Deflater(6, true);
        d.setInput(plain);
        d.finish();
        byte[] out = new byte[CLUSTER * 2];
        int n = d.deflate(out);
        d.end();
        return Arrays.copyOf(out, n);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void stopsWhenTheClusterIsFullAndIgnoresPadding(CompressionType t) throws Exception {
        byte[] plain = cluster();
        byte[] payload = compress(t, plain);
        byte[] padded = Arrays.copyOf(payload, payload.length + 700);
        Arrays.fill(padded, payload.length, padded.length, (byte) 0x5c); // garbage after the payload
        try (ClusterDecompressor d = ClusterDecompressor.create(t)) {
            for (boolean direct : new boolean[] {false, true}) {
                ByteBuffer src = direct ? ByteBuffer.allocateDirect(padded.length).put(padded).flip()
                        : ByteBuffer.wrap(padded);
                ByteBuffer dst = direct ? ByteBuffer.allocateDirect(CLUSTER) : ByteBuffer.allocate(CLUSTER);
                d.decompress(src, dst);
                assertThat(dst.hasRemaining()).isFalse();
                byte[] got = new byte[CLUSTER];
                dst.flip().get(got);
                assertThat(got).isEqualTo(plain);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void truncatedOrShortPayloadsAreErrors(CompressionType t) {
        byte[] payload = compress(t, cluster());
        try (ClusterDecompressor d = ClusterDecompressor.create(t)) {
            Throwable cut = catchThrowable(() -> d.decompress(ByteBuffer.wrap(payload, 0, payload.length / 2),
                    ByteBuffer.allocate(CLUSTER)));
            assertThat(cut).isInstanceOf(DataFormatException.class);
            // a payload of half a cluster does not fill a whole one
            byte[] half = compress(t, Arrays.copyOf(cluster(), CLUSTER / 2));
            Throwable shortOut = catchThrowable(() -> d.decompress(ByteBuffer.wrap(half), ByteBuffer.allocate(CLUSTER)));
            assertThat(shortOut).isInstanceOf(DataFormatException.class);
            Throwable garbage = catchThrowable(() -> d.decompress(ByteBuffer.wrap(new byte[512]),
                    ByteBuffer.allocate(CLUSTER)));
            assertThat(garbage).isInstanceOf(DataFormatException.class);
            // the decompressor is still usable after errors
            byte[] ok = compress(t, cluster());
            ByteBuffer dst = ByteBuffer.allocate(CLUSTER);
            try {
                d.decompress(ByteBuffer.wrap(ok), dst);
            } catch (DataFormatException e) {
                throw new AssertionError(e);
            }
            assertThat(dst.array()).isEqualTo(cluster());
        }
    }

    /**
     * A payload that expands to more than a cluster: QEMU's zlib reader accepts it (the cluster is full,
     * Z_BUF_ERROR is approved) but its zstd reader fails when the frame is not complete at the cluster's end.
     */
    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void payloadLongerThanTheClusterIsAnErrorForZstdOnly(CompressionType t) throws Exception {
        byte[] twice = new byte[2 * CLUSTER];
        System.arraycopy(cluster(), 0, twice, 0, CLUSTER);
        System.arraycopy(cluster(), 0, twice, CLUSTER, CLUSTER);
        byte[] payload = compress(t, twice);
        try (ClusterDecompressor d = ClusterDecompressor.create(t)) {
            ByteBuffer dst = ByteBuffer.allocate(CLUSTER);
            Throwable e = catchThrowable(() -> d.decompress(ByteBuffer.wrap(payload), dst));
            if (t == CompressionType.ZSTD) {
                assertThat(e).isInstanceOf(DataFormatException.class).hasMessageContaining("more data than a cluster");
            } else {
                assertThat(e).isNull();
                assertThat(dst.array()).isEqualTo(cluster());
            }
        }
    }
}
