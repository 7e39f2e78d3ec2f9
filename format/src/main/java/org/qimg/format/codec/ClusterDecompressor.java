package org.qimg.format.codec;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;

/**
 * Expands one qcow2 compressed cluster. The source may carry trailing padding (the rest of the last
 * 512-byte sector, or the start of the next payload): decompression stops as soon as the destination is
 * full. An instance holds codec state: use it from one thread at a time and {@link #close()} it when done.
 */
public interface ClusterDecompressor extends AutoCloseable {

    /**
     * Decompresses from {@code src} until {@code dst} (one cluster) is full.
     *
     * @throws DataFormatException when the payload is malformed or ends before dst is full
     */
    void decompress(ByteBuffer src, ByteBuffer dst) throws DataFormatException;

    @Override
    void close();

    /** A new decompressor for {@code type}. */
    static ClusterDecompressor create(CompressionType type) {
        return switch (type) {
            case ZLIB -> new ZlibClusterDecompressor();
            case ZSTD -> new ZstdClusterDecompressor();
        };
    }
}
