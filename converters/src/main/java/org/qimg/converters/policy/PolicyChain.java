package org.qimg.converters.policy;

import java.nio.ByteBuffer;
import java.util.List;
import org.qimg.converters.convert.CompressionPolicy;

/**
 * All of several policies at once: a cluster is compressed only if every policy wants to try it and every
 * policy keeps the payload. Deterministic when its parts are (they only look at their arguments).
 */
public final class PolicyChain implements CompressionPolicy {
    private final List<CompressionPolicy> parts;

    private PolicyChain(List<CompressionPolicy> parts) {
        this.parts = List.copyOf(parts);
    }

    /** The combination; qemu-img's rule when the list is empty, the policy itself when it has one. */
    public static CompressionPolicy of(List<CompressionPolicy> parts) {
        if (parts.isEmpty()) {
            return CompressionPolicy.QEMU;
        }
        return parts.size() == 1 ? parts.get(0) : new PolicyChain(parts);
    }

    @Override
    public boolean attempt(long clusterIndex, ByteBuffer cluster) {
        for (CompressionPolicy p : parts) {
            if (!p.attempt(clusterIndex, cluster.duplicate())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean keepCompressed(long clusterIndex, ByteBuffer cluster, int payloadLength) {
        if (payloadLength < 0) {
            return false;
        }
        for (CompressionPolicy p : parts) {
            if (!p.keepCompressed(clusterIndex, cluster.duplicate(), payloadLength)) {
                return false;
            }
        }
        return true;
    }
}
