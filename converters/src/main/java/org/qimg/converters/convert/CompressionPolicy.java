package org.qimg.converters.convert;

import java.nio.ByteBuffer;

/**
 * Decides, per guest cluster of a compressed conversion, whether the cluster is stored compressed or plain.
 * Called from worker threads at once: implementations must be thread-safe, and for deterministic output a
 * decision must depend only on its arguments (never on timing or thread).
 */
public interface CompressionPolicy {

    /** qemu-img's rule: try every cluster, keep the payload whenever the compressor produced one. */
    CompressionPolicy QEMU = (index, cluster, payloadLength) -> payloadLength >= 0;

    /**
     * Whether to run the compressor on this (non-zero) cluster at all; false stores it plain.
     *
     * @param cluster the cluster's bytes, position to limit; must not be modified
     */
    default boolean attempt(long clusterIndex, ByteBuffer cluster) {
        return true;
    }

    /**
     * Whether to keep the compressed payload.
     *
     * @param payloadLength the compressor's payload length, or -1 when it refused (payload too large)
     */
    boolean keepCompressed(long clusterIndex, ByteBuffer cluster, int payloadLength);
}
