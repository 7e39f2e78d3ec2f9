package org.qimg.converters.ova;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qimg.format.ClusterSink;
import org.qimg.format.TargetImage;
import org.qimg.format.codec.ClusterCompressor;

/**
 * The VMDK target of an OVA, as the format made it, counting what its writer is handed: the clusters
 * (grains) stored with data, plain or compressed, give the disk's populated size, and the size it was
 * started with its capacity ({@link #facts()}). Zero clusters are not stored and not counted. The writer
 * knows the disk by its name in the OVA.
 */
final class CountingTarget implements TargetImage {
    private final TargetImage inner;
    private final Path diskName;
    private long capacity = -1;
    private long dataClusters;

    /**
     * Over {@code inner}; {@code diskName} (e.g. {@code app.ova/app-disk1.vmdk}) is the name the writer is given
     * for the disk: a VMDK names its own file in its descriptor, which must be the disk's name in the OVA.
     */
    CountingTarget(TargetImage inner, Path diskName) {
        this.inner = inner;
        this.diskName = diskName;
    }

    /** Capacity and populated size of the disk written; valid after the convert finished. */
    DiskFacts facts() {
        if (capacity < 0) {
            throw new IllegalStateException("the disk was not written");
        }
        long populated = Math.min(capacity, Math.multiplyExact(dataClusters, (long) inner.clusterSize()));
        return new DiskFacts(capacity, populated);
    }

    @Override
    public String formatName() {
        return inner.formatName();
    }

    @Override
    public int clusterSize() {
        return inner.clusterSize();
    }

    @Override
    public boolean hasBacking() {
        return inner.hasBacking();
    }

    @Override
    public boolean compressed() {
        return inner.compressed();
    }

    @Override
    public ClusterCompressor newCompressor(Consumer<String> fallbackNotice) {
        return inner.newCompressor(fallbackNotice);
    }

    @Override
    public ClusterSink start(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException {
        ClusterSink sink = inner.start(channel, diskName == null ? pathForErrors : diskName, virtualSize);
        capacity = Math.addExact(virtualSize, 511) & ~511L; // a VMDK's capacity is in 512-byte sectors
        dataClusters = 0;
        return new Counting(sink);
    }

    /** Forwards every call; counts the clusters stored with data. Called from one thread, as every sink. */
    private final class Counting implements ClusterSink {
        private final ClusterSink sink;

        Counting(ClusterSink sink) {
            this.sink = sink;
        }

        @Override
        public int clusterSize() {
            return sink.clusterSize();
        }

        @Override
        public void writePlain(long index, ByteBuffer data) throws IOException {
            sink.writePlain(index, data);
            dataClusters++;
        }

        @Override
        public void writePlain(long index, ByteBuffer data, int subclusterMask, boolean startsWrite)
                throws IOException {
            sink.writePlain(index, data, subclusterMask, startsWrite);
            dataClusters++;
        }

        @Override
        public void writePlainBorrowed(long index, ByteBuffer base, int offset, int subclusterMask,
                                       boolean startsWrite) throws IOException {
            sink.writePlainBorrowed(index, base, offset, subclusterMask, startsWrite);
            dataClusters++;
        }

        @Override
        public void release(ByteBuffer base) throws IOException {
            sink.release(base);
        }

        @Override
        public void writeCompressed(long index, ByteBuffer payload) throws IOException {
            sink.writeCompressed(index, payload);
            dataClusters++;
        }

        @Override
        public void writeZero(long index) throws IOException {
            sink.writeZero(index);
        }

        @Override
        public void writeZero(long index, boolean startsWrite) throws IOException {
            sink.writeZero(index, startsWrite);
        }

        @Override
        public boolean unwrittenReadsFile() {
            return sink.unwrittenReadsFile();
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
}
