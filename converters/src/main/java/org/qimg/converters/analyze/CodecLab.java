package org.qimg.converters.analyze;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.qimg.format.codec.ClusterCompressor;
import org.qimg.format.codec.ClusterDecompressor;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.codec.Compressors;

/**
 * Compresses clusters with QEMU's settings and times their decompression. One thread; holds native codec
 * state, so close it.
 */
final class CodecLab implements AutoCloseable {
    /** Timed repetitions per measurement; the fastest counts (least disturbed by other load). */
    static final int REPEATS = 3;

    private final int clusterSize;
    private final Map<CompressionType, ClusterCompressor> compressors = new EnumMap<>(CompressionType.class);
    private final Map<CompressionType, ClusterDecompressor> decompressors = new EnumMap<>(CompressionType.class);
    private final ByteBuffer out;
    private final ByteBuffer plain;

    CodecLab(int clusterSize) {
        this.clusterSize = clusterSize;
        this.out = ByteBuffer.allocateDirect(2 * clusterSize);
        this.plain = ByteBuffer.allocateDirect(clusterSize);
    }

    /** QEMU's payload for {@code cluster} (one whole cluster) with {@code type}, or null if it would be stored plain. */
    ByteBuffer compress(CompressionType type, ByteBuffer cluster) {
        ClusterCompressor c = compressors.computeIfAbsent(type,
                t -> Compressors.create(t, Compressors.defaultLevel(t), clusterSize));
        out.clear();
        int n = c.compress(cluster.duplicate(), out);
        if (n < 0) {
            return null;
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(n);
        copy.put(out.duplicate().position(0).limit(n)).flip();
        return copy;
    }

    /**
     * Decompresses {@code payload} (may carry trailing padding) into one cluster, {@link #REPEATS} times.
     *
     * @return the fastest time in nanoseconds
     * @throws DataFormatException when the payload does not expand to a full cluster
     */
    long timeDecompress(CompressionType type, ByteBuffer payload) throws DataFormatException {
        ClusterDecompressor d = decompressors.computeIfAbsent(type, ClusterDecompressor::create);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < REPEATS; i++) {
            ByteBuffer src = payload.duplicate();
            plain.clear();
            long t0 = System.nanoTime();
            d.decompress(src, plain);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    /** Decompresses once; returns the number of payload bytes the decoder consumed. */
    int expand(CompressionType type, ByteBuffer payload, ByteBuffer dst) throws DataFormatException {
        ClusterDecompressor d = decompressors.computeIfAbsent(type, ClusterDecompressor::create);
        ByteBuffer src = payload.duplicate();
        int start = src.position();
        d.decompress(src, dst);
        return src.position() - start;
    }

    /** The fastest of {@link #REPEATS} copies of one cluster: what reading a plain cluster costs in CPU. */
    long timeCopy(ByteBuffer cluster) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < REPEATS; i++) {
            plain.clear();
            long t0 = System.nanoTime();
            plain.put(cluster.duplicate());
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    @Override
    public void close() {
        compressors.values().forEach(ClusterCompressor::close);
        decompressors.values().forEach(ClusterDecompressor::close);
    }
}
