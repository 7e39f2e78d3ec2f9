package org.qimg.format.codec;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;

/**
 * zstd cluster compression as QEMU does it: one frame per cluster (content size in the frame header, as
 * ZSTD_compressStream2 with ZSTD_e_end writes it for a one-shot input), no checksum, kept when it fits in
 * {@code cluster_size - 1} bytes.
 */
final class ZstdCompressor implements ClusterCompressor {
    private final int clusterSize;
    private final ZstdCompressCtx ctx;
    private final byte[] in;
    private final byte[] out;

    ZstdCompressor(int level, int clusterSize) {
        this.clusterSize = clusterSize;
        this.ctx = new ZstdCompressCtx();
        ctx.setLevel(level);
        ctx.setChecksum(false);
        ctx.setContentSize(true);
        this.in = new byte[clusterSize];
        this.out = new byte[clusterSize];
    }

    @Override
    public int compress(ByteBuffer src, ByteBuffer dst) {
        int n = src.remaining();
        if (n > clusterSize) {
            throw new IllegalArgumentException("input of " + n + " bytes is larger than a cluster");
        }
        int limit = clusterSize - 1;
        int len;
        try {
            if (src.isDirect() && dst.isDirect() && dst.remaining() >= limit) {
                len = ctx.compressDirectByteBuffer(dst, dst.position(), limit, src, src.position(), n);
                dst.position(dst.position() + len);
            } else {
                src.get(in, 0, n);
                len = ctx.compressByteArray(out, 0, limit, in, 0, n);
                if (len > dst.remaining()) {
                    throw new IllegalArgumentException("destination has " + dst.remaining()
                            + " bytes, payload needs " + len);
                }
                dst.put(out, 0, len);
            }
        } catch (ZstdException e) {
            return -1; // dstSize_tooSmall: QEMU stores the cluster uncompressed
        }
        src.position(src.limit());
        return len;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
