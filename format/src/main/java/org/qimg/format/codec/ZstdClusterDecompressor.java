package org.qimg.format.codec;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;

/**
 * One zstd frame per cluster, decoded as a stream so that bytes after the frame (padding) are never
 * looked at once the cluster is full. Heap buffers are staged through direct ones, which zstd-jni needs.
 */
final class ZstdClusterDecompressor implements ClusterDecompressor {
    private final ZstdDecompressCtx ctx = new ZstdDecompressCtx();
    private ByteBuffer directIn;
    private ByteBuffer directOut;

    @Override
    public void decompress(ByteBuffer src, ByteBuffer dst) throws DataFormatException {
        ByteBuffer in = src;
        if (!src.isDirect()) {
            directIn = ensure(directIn, src.remaining());
            directIn.put(src.duplicate()).flip();
            in = directIn;
        }
        ByteBuffer out = dst;
        if (!dst.isDirect()) {
            directOut = ensure(directOut, dst.remaining());
            directOut.limit(dst.remaining());
            out = directOut;
        }
        ctx.reset();
        try {
            boolean frameDone = false;
            while (out.hasRemaining()) {
                int inBefore = in.position();
                int outBefore = out.position();
                frameDone = ctx.decompressDirectByteBufferStream(out, in);
                if (out.hasRemaining() && (frameDone || (in.position() == inBefore && out.position() == outBefore))) {
                    throw new DataFormatException("zstd frame " + (frameDone ? "ended" : "stalled") + " after "
                            + out.position() + " bytes, before the cluster was full");
                }
            }
            if (!frameDone) {
                // as QEMU: a frame that is not complete once the cluster is full holds more than a cluster
                throw new DataFormatException("zstd frame does not end with the cluster (" + out.position()
                        + " bytes): it holds more data than a cluster");
            }
        } catch (ZstdException e) {
            throw new DataFormatException("zstd: " + e.getMessage());
        }
        if (out != dst) {
            out.flip();
            dst.put(out);
        }
        if (in != src) {
            src.position(src.position() + in.position());
        }
    }

    private static ByteBuffer ensure(ByteBuffer b, int size) {
        if (b == null || b.capacity() < size) {
            return ByteBuffer.allocateDirect(size);
        }
        b.clear();
        return b;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
