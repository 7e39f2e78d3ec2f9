package org.qimg.format.codec;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * zlib cluster compression exactly as QEMU does it, through the system libz: raw deflate, 4 KiB window
 * ({@code windowBits -12}), memLevel 9, default strategy, at most {@code cluster_size - 1} output bytes
 * and kept only when deflate reports the stream finished (so at most {@code cluster_size - 2} bytes in
 * practice). One z_stream per instance, reset between clusters.
 */
final class ZlibCompressor implements ClusterCompressor {
    private final int clusterSize;
    private final Memory stream;
    private final Memory in;
    private final Memory out;
    private boolean closed;

    ZlibCompressor(int level, int clusterSize) {
        ZlibNative.Lib z = ZlibNative.INSTANCE;
        if (z == null) {
            throw new IllegalStateException("libz is not available: " + ZlibNative.LOAD_ERROR);
        }
        this.clusterSize = clusterSize;
        this.stream = ZlibNative.newStream();
        int rc = z.deflateInit2_(stream, level, ZlibNative.Z_DEFLATED, -12, 9, ZlibNative.Z_DEFAULT_STRATEGY,
                z.zlibVersion(), ZlibNative.Z_STREAM_SIZE);
        if (rc != ZlibNative.Z_OK) {
            throw new IllegalStateException("deflateInit2 failed with " + rc + " (level " + level + ")");
        }
        this.in = new Memory(clusterSize);
        this.out = new Memory(clusterSize);
    }

    @Override
    public int compress(ByteBuffer src, ByteBuffer dst) {
        ZlibNative.Lib z = ZlibNative.INSTANCE;
        int n = src.remaining();
        if (n > clusterSize) {
            throw new IllegalArgumentException("input of " + n + " bytes is larger than a cluster");
        }
        Pointer inPtr;
        if (src.isDirect()) {
            inPtr = Native.getDirectBufferPointer(src).share(src.position());
        } else {
            in.write(0, src.array(), src.arrayOffset() + src.position(), n);
            inPtr = in;
        }
        int limit = clusterSize - 1;
        boolean directOut = dst.isDirect() && dst.remaining() >= limit;
        Pointer outPtr = directOut ? Native.getDirectBufferPointer(dst).share(dst.position()) : out;
        z.deflateReset(stream);
        stream.setPointer(ZlibNative.OFF_NEXT_IN, inPtr);
        stream.setInt(ZlibNative.OFF_AVAIL_IN, n);
        stream.setPointer(ZlibNative.OFF_NEXT_OUT, outPtr);
        stream.setInt(ZlibNative.OFF_AVAIL_OUT, limit);
        int rc = z.deflate(stream, ZlibNative.Z_FINISH);
        stream.setPointer(ZlibNative.OFF_NEXT_IN, null);
        stream.setPointer(ZlibNative.OFF_NEXT_OUT, null);
        if (rc != ZlibNative.Z_STREAM_END) {
            return -1;
        }
        int len = limit - stream.getInt(ZlibNative.OFF_AVAIL_OUT);
        if (len > dst.remaining()) {
            throw new IllegalArgumentException("destination has " + dst.remaining() + " bytes, payload needs " + len);
        }
        if (directOut) {
            dst.position(dst.position() + len);
        } else {
            byte[] tmp = out.getByteArray(0, len);
            dst.put(tmp);
        }
        src.position(src.limit());
        return len;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ZlibNative.INSTANCE.deflateEnd(stream);
        }
    }
}
