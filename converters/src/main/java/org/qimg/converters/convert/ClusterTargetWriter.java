package org.qimg.converters.convert;

import java.io.IOException;

/**
 * Hands processed clusters to a {@link ClusterSink} in guest order. All-zero clusters are not written when
 * the fresh target reads zeros anyway; they become zero clusters when the target has a backing file
 * (which they must hide) or when sparse output is off ({@code -S 0}, as qemu-img writes zeroes then).
 */
final class ClusterTargetWriter implements TargetWriter {
    private final ClusterSink sink;
    private final int clusterSize;
    private final boolean writeZeroClusters;

    ClusterTargetWriter(ClusterSink sink, boolean writeZeroClusters) {
        this.sink = sink;
        this.clusterSize = sink.clusterSize();
        this.writeZeroClusters = writeZeroClusters;
    }

    @Override
    public int granule() {
        return clusterSize;
    }

    @Override
    public void write(Chunk chunk, Slot slot) throws IOException {
        long first = chunk.start() / clusterSize;
        if (slot == null) {
            if (chunk.kind() == ConcatSource.Kind.ZERO && writeZeroClusters) {
                long count = (chunk.length() + clusterSize - 1) / clusterSize;
                for (long i = 0; i < count; i++) {
                    sink.writeZero(first + i);
                }
            }
            return;
        }
        for (int c = 0; c < slot.clusters; c++) {
            switch (slot.kinds[c]) {
                case Slot.PLAIN -> sink.writePlain(first + c, slot.in.slice(c * clusterSize, clusterSize));
                case Slot.COMPRESSED -> sink.writeCompressed(first + c,
                        slot.out.slice(slot.payloadOffset[c], slot.payloadLength[c]));
                default -> {
                    if (writeZeroClusters) {
                        sink.writeZero(first + c);
                    }
                }
            }
        }
    }

    @Override
    public void finish() throws IOException {
        sink.finish();
    }

    @Override
    public void close() throws IOException {
        sink.close();
    }
}
