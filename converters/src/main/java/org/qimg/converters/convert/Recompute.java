package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import org.qimg.format.codec.ClusterCompressor;

/**
 * Makes the bytes of one data write of a new image again, out of the pipeline's order, from the source: guest
 * bytes as they are, or one cluster compressed with the target's codec. For the second pass of a stream output
 * ({@link EmitChannel}), which needs the writes the first pass found behind earlier data
 * ({@link BehindWrites}) before the pipeline comes to them. Compression is deterministic, so the bytes are the
 * pipeline's. Used from one thread.
 */
final class Recompute implements AutoCloseable {
    private final ConcatSource source;
    private final Supplier<ClusterCompressor> compressors;
    private ClusterCompressor compressor;
    private ByteBuffer in;
    private ByteBuffer out;

    Recompute(ConcatSource source, Supplier<ClusterCompressor> compressors) {
        this.source = source;
        this.compressors = compressors;
    }

    /**
     * The {@code length} bytes written for the guest data at {@code guestOffset}: as they are when
     * {@code compressedCluster} is 0 (zeros past the guest end), else the payload of the cluster of that size
     * there, which may differ in length from {@code length} if the source changed.
     */
    ByteBuffer bytes(long guestOffset, int length, int compressedCluster) throws IOException {
        int span = compressedCluster == 0 ? length : compressedCluster;
        if (in == null || in.capacity() < span) {
            in = ByteBuffer.allocateDirect(span);
        }
        long avail = Math.max(0, Math.min(span, source.size() - guestOffset));
        in.clear().limit((int) avail);
        if (avail > 0) {
            source.read(guestOffset, in);
        }
        in.limit(span);
        while (in.hasRemaining()) {
            in.put((byte) 0);
        }
        in.flip();
        if (compressedCluster == 0) {
            return in;
        }
        if (out == null || out.capacity() < compressedCluster) {
            out = ByteBuffer.allocateDirect(compressedCluster);
        }
        if (compressor == null) {
            if (compressors == null) {
                throw new IllegalStateException("a compressed cluster to make again, but the target does not compress");
            }
            compressor = compressors.get();
        }
        out.clear();
        int n = compressor.compress(in, out);
        return out.clear().limit(Math.max(n, 0));
    }

    @Override
    public void close() {
        if (compressor != null) {
            compressor.close();
        }
    }
}
