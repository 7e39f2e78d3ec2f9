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
    private final boolean requests;
    private final ThreadLocal<ClusterCompressor> local = new ThreadLocal<>();
    private final List<ClusterCompressor> created = new ArrayList<>();

    ChunkProcessor(ConcatSource source, boolean clusterTarget, int granule, int sparseSize,
                   Supplier<ClusterCompressor> compressors, CompressionPolicy policy) {
        this(source, clusterTarget, granule, sparseSize, compressors, policy, false);
    }

    /** @param requests chunks are {@link QemuRequestPlanner} requests (plain cluster target, no backing) */
    ChunkProcessor(ConcatSource source, boolean clusterTarget, int granule, int sparseSize,
                   Supplier<ClusterCompressor> compressors, CompressionPolicy policy, boolean requests) {
        this.requests = requests;
        this.source = source;
        this.clusterTarget = clusterTarget;
        this.granule = granule;
        this.sparseSize = sparseSize;
        this.compressors = compressors;
        this.policy = policy;
    }

    Slot process(Chunk chunk, Slot slot) throws IOException {
        slot.chunk = chunk;
        if (requests) {
            processRequest(chunk, slot);
            return slot;
        }
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
        int clusters = padToClusters(slot, len);
        int outPos = 0;
        long first = chunk.start() / granule;
        for (int c = 0; c < clusters; c++) {
            int off = c * granule;
            boolean zero = SparseScan.isZero(in, off, granule);
            if (compressors == null) {
                slot.kinds[c] = zero && sparseSize > 0 ? Slot.ZERO : Slot.PLAIN;
                continue;
            }
            if (zero && sparseSize > 0) {
                slot.kinds[c] = Slot.ZERO;
                continue;
            }
            // with -S 0 qemu-img compresses zero clusters as well
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

    /**
     * A qemu-img write request: reads the whole clusters it touches, finds the pieces qemu-img writes
     * ({@code is_allocated_sectors_min} with -S, everything with -S 0) and records per cluster which
     * subclusters those pieces touch and where a piece starts allocating.
     */
    private void processRequest(Chunk chunk, Slot slot) throws IOException {
        long from = chunk.start() / granule * granule;
        long to = Math.min(source.size(), (chunk.end() + granule - 1) / granule * granule);
        int len = (int) (to - from);
        ByteBuffer in = slot.in;
        in.clear().limit(len);
        source.read(from, in);
        int clusters = padToClusters(slot, len);
        java.util.Arrays.fill(slot.kinds, 0, clusters, Slot.ZERO);
        java.util.Arrays.fill(slot.masks, 0, clusters, 0);
        java.util.Arrays.fill(slot.startsWrite, 0, clusters, false);
        int off = (int) (chunk.start() - from);
        int reqLen = (int) chunk.length();
        int pairs;
        if (sparseSize > 0) {
            pairs = SparseScan.dataRuns(in.slice(off, reqLen), reqLen, chunk.start() / SparseScan.SECTOR,
                    sparseSize, slot.runs);
        } else {
            slot.runs[0] = 0;
            slot.runs[1] = reqLen;
            pairs = 1;
        }
        int sub = granule / 32;
        int lastTouched = -1;
        for (int p = 0; p < pairs; p++) {
            int a = off + slot.runs[2 * p];
            int b = a + slot.runs[2 * p + 1];
            int c0 = a / granule;
            int c1 = (b - 1) / granule;
            for (int c = c0; c <= c1; c++) {
                int cs = c * granule;
                int s0 = (Math.max(a, cs) - cs) / sub;
                int s1 = (Math.min(b, cs + granule) - 1 - cs) / sub;
                slot.masks[c] |= (int) ((1L << (s1 + 1)) - (1L << s0));
                slot.kinds[c] = Slot.PLAIN;
            }
            // A cluster an earlier piece already allocated is written in place; allocation starts after it.
            int startAt = c0 == lastTouched ? c0 + 1 : c0;
            if (startAt <= c1) {
                slot.startsWrite[startAt] = true;
            }
            lastTouched = c1;
        }
        slot.runPairs = 0;
    }

    /**
     * Zero-fills {@code slot.in} from {@code len} to the end of its last cluster (the image's last cluster may
     * end inside the source), sets the limit there and records the cluster count, which it returns.
     */
    private int padToClusters(Slot slot, int len) {
        int clusters = (len + granule - 1) / granule;
        int padded = clusters * granule;
        slot.in.limit(padded);
        for (int i = len; i < padded; i++) {
            slot.in.put(i, (byte) 0);
        }
        slot.clusters = clusters;
        return clusters;
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
