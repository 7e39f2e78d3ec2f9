package org.qimg.converters.convert;

import org.qimg.format.ClusterSink;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Hands processed clusters to a {@link ClusterSink} in guest order. All-zero clusters are not written when
 * the fresh target reads zeros anyway; they become zero clusters when the target has a backing file
 * (which they must hide) or when sparse output is off ({@code -S 0}, as qemu-img writes zeroes then).
 */
final class ClusterTargetWriter implements TargetWriter {
    /** Every subcluster: the whole cluster was written. */
    private static final int ALL_SUBCLUSTERS = -1;
    private final ClusterSink sink;
    private final int clusterSize;
    private final boolean writeZeroClusters;
    private final boolean requests;
    private final boolean compressed;
    private final long totalSize;
    /** Cluster mode: the last cluster written as data, for {@link QemuRequestPlanner#startsWrite}. */
    private long previous = -1;
    /** Request mode: the last cluster of the previous request, when a later request may still touch it. */
    private ByteBuffer held;
    private long heldIndex = -1;
    private int heldMask;
    private boolean heldStarts;
    /** Request mode: the slot of the last request written, which the sink may still be reading. */
    private Slot kept;

    /** Cluster mode; {@code compressed}: a {@code -c} target, whose uncompressed clusters are requests each. */
    ClusterTargetWriter(ClusterSink sink, boolean writeZeroClusters, boolean compressed) {
        this(sink, writeZeroClusters, false, compressed, 0);
    }

    /**
     * @param requests chunks are qemu-img write requests ({@link QemuRequestPlanner}); two requests can share
     *                 a cluster, whose subcluster masks are merged here before the cluster is written
     */
    ClusterTargetWriter(ClusterSink sink, boolean writeZeroClusters, boolean requests, boolean compressed,
                        long totalSize) {
        this.sink = sink;
        this.clusterSize = sink.clusterSize();
        this.writeZeroClusters = writeZeroClusters;
        this.requests = requests;
        this.compressed = compressed;
        this.totalSize = totalSize;
    }

    @Override
    public boolean followsQemuRequests() {
        return requests;
    }

    @Override
    public int granule() {
        return clusterSize;
    }

    @Override
    public Slot write(Chunk chunk, Slot slot) throws IOException {
        if (requests) {
            if (slot == null) {
                return null;
            }
            writeRequest(chunk, slot);
            // The sink may still be reading this slot (its last allocation run is written when the next
            // request starts one): keep it until the next request is written, then hand back the previous.
            Slot reusable = kept;
            kept = slot;
            if (reusable != null) {
                sink.release(reusable.in);
            }
            return reusable;
        }
        long first = chunk.start() / clusterSize;
        if (slot == null) {
            if (chunk.kind() == ConcatSource.Kind.ZERO && writeZeroClusters) {
                long count = (chunk.length() + clusterSize - 1) / clusterSize;
                for (long i = 0; i < count; i++) {
                    writeZero(first + i);
                }
            } else {
                previous = -1;
            }
            return null;
        }
        for (int c = 0; c < slot.clusters; c++) {
            long index = first + c;
            switch (slot.kinds[c]) {
                case Slot.PLAIN -> {
                    sink.writePlain(index, slot.in.slice(c * clusterSize, clusterSize), ALL_SUBCLUSTERS,
                            QemuRequestPlanner.startsWrite(index, previous, clusterSize, compressed));
                    previous = index;
                }
                case Slot.COMPRESSED -> {
                    sink.writeCompressed(index, slot.out.slice(slot.payloadOffset[c], slot.payloadLength[c]));
                    previous = -1;
                }
                default -> {
                    if (writeZeroClusters) {
                        writeZero(index);
                    } else {
                        previous = -1;
                    }
                }
            }
        }
        return slot;
    }

    /** A zero cluster the target must store (a v2 image stores it as data, in requests as plain clusters). */
    private void writeZero(long index) throws IOException {
        sink.writeZero(index, QemuRequestPlanner.startsWrite(index, previous, clusterSize, compressed));
        previous = index;
    }

    private void writeRequest(Chunk chunk, Slot slot) throws IOException {
        long first = chunk.start() / clusterSize;
        boolean openEnd = chunk.end() % clusterSize != 0 && chunk.end() < totalSize;
        for (int c = 0; c < slot.clusters; c++) {
            if (slot.kinds[c] != Slot.PLAIN) {
                continue;
            }
            long index = first + c;
            int mask = slot.masks[c];
            boolean starts = slot.startsWrite[c];
            if (heldIndex == index) {
                // An earlier request allocated this cluster: written in place, and whatever this request
                // goes on to write is a new allocation.
                mask |= heldMask;
                starts = heldStarts;
                heldIndex = -1;
                if (c + 1 < slot.clusters) {
                    slot.startsWrite[c + 1] = true;
                }
            } else {
                flushHeld();
            }
            if (openEnd && c == slot.clusters - 1) {
                if (held == null) {
                    held = ByteBuffer.allocateDirect(clusterSize);
                } else {
                    sink.release(held);
                }
                held.clear();
                held.put(slot.in.slice(c * clusterSize, clusterSize)).flip();
                heldIndex = index;
                heldMask = mask;
                heldStarts = starts;
            } else {
                sink.writePlainBorrowed(index, slot.in, c * clusterSize, mask, starts);
            }
        }
    }

    private void flushHeld() throws IOException {
        if (heldIndex >= 0) {
            sink.writePlainBorrowed(heldIndex, held, 0, heldMask, heldStarts);
            heldIndex = -1;
        }
    }

    @Override
    public void finish() throws IOException {
        flushHeld();
        sink.finish();
    }

    @Override
    public void close() throws IOException {
        sink.close();
    }
}
