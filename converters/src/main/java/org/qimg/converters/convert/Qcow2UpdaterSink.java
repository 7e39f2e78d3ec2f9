package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.qcow2.Qcow2Updater;

/** Adapts the format module's in-place {@link Qcow2Updater} (convert -n into a qcow2 image) to a {@link ClusterSink}. */
public final class Qcow2UpdaterSink implements ClusterSink {
    private final Qcow2Updater updater;

    public Qcow2UpdaterSink(Qcow2Updater updater) {
        this.updater = updater;
    }

    @Override
    public int clusterSize() {
        return updater.clusterSize();
    }

    @Override
    public void writePlain(long index, ByteBuffer data) throws IOException {
        updater.writePlain(index, data);
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        updater.writeCompressed(index, payload);
    }

    @Override
    public void writeZero(long index) throws IOException {
        updater.writeZero(index);
    }

    @Override
    public void finish() throws IOException {
        updater.finish();
    }

    @Override
    public void close() {
        updater.close();
    }
}
