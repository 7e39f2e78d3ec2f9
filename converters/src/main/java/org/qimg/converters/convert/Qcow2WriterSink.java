package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.qcow2.Qcow2Writer;

/** Adapts the format module's {@link Qcow2Writer} to the pipeline's {@link ClusterSink}. */
public final class Qcow2WriterSink implements ClusterSink {
    private final Qcow2Writer writer;

    public Qcow2WriterSink(Qcow2Writer writer) {
        this.writer = writer;
    }

    @Override
    public int clusterSize() {
        return writer.clusterSize();
    }

    @Override
    public void writePlain(long index, ByteBuffer data) throws IOException {
        writer.writePlain(index, data);
    }

    @Override
    public void writePlain(long index, ByteBuffer data, int subclusterMask, boolean startsWrite)
            throws IOException {
        writer.writePlain(index, data, subclusterMask, startsWrite);
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        writer.writeCompressed(index, payload);
    }

    @Override
    public void writeZero(long index) throws IOException {
        writer.writeZero(index);
    }

    @Override
    public void finish() throws IOException {
        writer.finish();
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
