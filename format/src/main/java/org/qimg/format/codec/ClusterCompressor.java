package org.qimg.format.codec;

import java.nio.ByteBuffer;

/**
 * Compresses one guest cluster the way QEMU stores it in a qcow2 compressed cluster. An instance holds
 * native codec state: use it from one thread at a time and {@link #close()} it when done.
 */
public interface ClusterCompressor extends AutoCloseable {

    /**
     * Compresses all remaining bytes of {@code src} (one whole cluster) into {@code dst} from its position.
     *
     * @return the payload length written to dst, or -1 when the result would exceed the codec's keep
     *         limit (zlib: cluster size - 2; zstd: cluster size - 1), in which case QEMU stores the cluster
     *         uncompressed; src's position is unspecified afterwards
     */
    int compress(ByteBuffer src, ByteBuffer dst);

    @Override
    void close();
}
