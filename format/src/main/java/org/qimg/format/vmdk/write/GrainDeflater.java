package org.qimg.format.vmdk.write;

import java.nio.ByteBuffer;
import java.util.zip.Deflater;
import org.qimg.format.codec.ClusterCompressor;

/**
 * Compresses one grain of a streamOptimized extent as QEMU ({@code compress()}) and vmdk-convert
 * ({@code deflateInit}) do: a zlib stream (RFC 1950: header, deflate, Adler-32), 32 KiB window, memLevel 8,
 * default strategy, level 6 (QEMU's and zlib's default; vmdk-convert defaults to 9). {@link Deflater} makes
 * exactly that stream with the system zlib, so the bytes equal QEMU's. Not qcow2's codec: that one writes raw
 * deflate with a 4 KiB window and gives up when the output exceeds the cluster.
 *
 * <p>A grain is always stored compressed, even when deflate makes it larger. {@link #compress} returns -1 only
 * when {@code dst} is too small for the stream; the caller then compresses the grain again elsewhere.
 */
public final class GrainDeflater implements ClusterCompressor {
    public static final int LEVEL = 6;
    private final Deflater deflater = new Deflater(LEVEL, false);

    @Override
    public int compress(ByteBuffer src, ByteBuffer dst) {
        deflater.reset();
        deflater.setInput(src);
        deflater.finish();
        int start = dst.position();
        while (!deflater.finished()) {
            if (!dst.hasRemaining()) {
                dst.position(start);
                return -1;
            }
            deflater.deflate(dst);
        }
        src.position(src.limit());
        return dst.position() - start;
    }

    /** Worst-case stream length for {@code n} input bytes (zlib's deflateBound for the default settings). */
    static int bound(int n) {
        return n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 6;
    }

    @Override
    public void close() {
        deflater.end();
    }
}
