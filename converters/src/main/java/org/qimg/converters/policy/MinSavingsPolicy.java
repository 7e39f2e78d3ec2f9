package org.qimg.converters.policy;

import java.nio.ByteBuffer;
import org.qimg.converters.convert.CompressionPolicy;

/**
 * Keeps a compressed payload only when it saves at least {@code percent} % of the cluster, i.e. when
 * {@code payload <= cluster * (100 - percent) / 100}; otherwise the cluster is stored plain (reads of it
 * then cost no decompression, for a small loss of space).
 */
public final class MinSavingsPolicy implements CompressionPolicy {
    private final double percent;

    public MinSavingsPolicy(double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("--min-savings must be a percentage between 0 and 100, not " + percent);
        }
        this.percent = percent;
    }

    /** Largest payload kept for a cluster of {@code clusterSize} bytes. */
    public long maxPayload(int clusterSize) {
        return (long) Math.floor(clusterSize * (100.0 - percent) / 100.0);
    }

    @Override
    public boolean keepCompressed(long clusterIndex, ByteBuffer cluster, int payloadLength) {
        return payloadLength >= 0 && payloadLength <= maxPayload(cluster.remaining());
    }
}
