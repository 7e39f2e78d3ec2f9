package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.qimg.format.codec.ClusterCompressor;

/**
 * The work done on pool threads for a data chunk: read it, find zeros, compress clusters. Each thread
 * keeps its own compressor; {@link #close()} releases them once the pool has stopped.
 */
final class ChunkProcessor implements AutoCloseable {
    private final ConcatSource source;
    private final boolean clusterTarget;
    private final int granule;
    private final int sparseSize;
    private final Supplier<ClusterCompressor> compressors;
    private final CompressionPolicy policy;
    private final ThreadLocal<ClusterCompressor> local = new ThreadLocal<>();
    private final List<ClusterCompressor> created = new ArrayList<>();

    ChunkProcessor(ConcatSource source, boolean clusterTarget, int granule, int sparseSize,
                   Supplier<ClusterCompressor> compressors, CompressionPolicy policy) {
        this.source = source;
        this.clusterTarget = clusterTarget;
        this.granule = granule;
        this.sparseSize = sparseSize;
        this.compressors = compressors;
        this.policy = policy;
    }

    Slot process(Chunk chunk, Slot slot) throws IOException {
        slot.chunk = chunk;
        int len = (int) chunk.length();
        ByteBuffer in = slot.in;
        in.clear().limit(len);
        source.read(chunk.start(), in);
        if (clusterTarget) {
            processClusters(chunk, slot, len);
        } else if (sparseSize > 0) {
            slot.runPairs = SparseScan.dataRuns(in, len, chunk.start() / SparseScan.SECTOR, sparseSize, slot.runs);
        } else {
            slot.runs[0] = 0;
            slot.runs[1] = len;
            slot.runPairs = 1;
        }
        return slot;
    }

    private void processClusters(Chunk chunk, Slot slot, int len) {
        ByteBuffer in = slot.in;
        int clusters = (len + granule - 1) / granule;
        int padded = clusters * granule;
        in.limit(padded);
        for (int i = len; i < padded; i++) {
            in.put(i, (byte) 0);
        }
        slot.clusters = clusters;
        int outPos = 0;
        long first = chunk.start() / granule;
        for (int c = 0; c < clusters; c++) {
            int off = c * granule;
            boolean zero = SparseScan.isZero(in, off, granule);
            if (compressors == null) {
                slot.kinds[c] = zero && sparseSize > 0 ? Slot.ZERO : Slot.PLAIN;
                continue;
            }
            if (zero) {
                slot.kinds[c] = Slot.ZERO;
                continue;
            }
            ByteBuffer cluster = in.slice(off, granule);
            slot.kinds[c] = Slot.PLAIN;
            if (policy.attempt(first + c, cluster.duplicate())) {
                ByteBuffer dst = slot.out.slice(outPos, slot.out.capacity() - outPos);
                int n = compressor().compress(cluster.duplicate(), dst);
                if (policy.keepCompressed(first + c, cluster.duplicate(), n) && n >= 0) {
                    slot.kinds[c] = Slot.COMPRESSED;
                    slot.payloadOffset[c] = outPos;
                    slot.payloadLength[c] = n;
                    outPos += n;
                }
            }
        }
    }

    private ClusterCompressor compressor() {
        ClusterCompressor c = local.get();
        if (c == null) {
            c = compressors.get();
            local.set(c);
            synchronized (created) {
                created.add(c);
            }
        }
        return c;
    }

    /** Closes the per-thread compressors; call only after every worker has finished. */
    @Override
    public void close() {
        synchronized (created) {
            for (ClusterCompressor c : created) {
                c.close();
            }
            created.clear();
        }
    }
}
