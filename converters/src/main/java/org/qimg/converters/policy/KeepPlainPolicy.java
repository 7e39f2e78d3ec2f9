package org.qimg.converters.policy;

import java.nio.ByteBuffer;
import org.qimg.converters.convert.CompressionPolicy;
import org.qimg.converters.trace.ClusterSet;

/** Stores every cluster of a set uncompressed, without even trying the compressor; others as usual. */
public final class KeepPlainPolicy implements CompressionPolicy {
    private final ClusterSet plain;

    public KeepPlainPolicy(ClusterSet plain) {
        this.plain = plain;
    }

    public ClusterSet clusters() {
        return plain;
    }

    @Override
    public boolean attempt(long clusterIndex, ByteBuffer cluster) {
        return !plain.contains(clusterIndex);
    }

    @Override
    public boolean keepCompressed(long clusterIndex, ByteBuffer cluster, int payloadLength) {
        return payloadLength >= 0 && !plain.contains(clusterIndex);
    }
}
