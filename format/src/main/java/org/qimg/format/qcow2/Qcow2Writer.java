package org.qimg.format.qcow2;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Writes a fresh qcow2 image laid out as {@code qemu-img convert} lays one out. Clusters are handed over
 * in increasing guest order by a single thread; clusters never handed over stay unallocated (read as
 * zero, or through the backing file).
 *
 * <p>API contract shared by the convert pipeline (converters) and the writer implementation (format).
 * TODO(writer): implementation pending; every method throws until it lands.
 */
public final class Qcow2Writer implements Closeable {

    private Qcow2Writer() {
    }

    /** Starts an image of {@code options.virtualSize()} bytes in {@code channel} (empty, writable). */
    public static Qcow2Writer create(FileChannel channel, Path pathForErrors, Qcow2CreateOptions options)
            throws IOException {
        throw new UnsupportedOperationException("qcow2 writing is not built yet");
    }

    public int clusterSize() {
        throw new UnsupportedOperationException();
    }

    /** Stores guest cluster {@code index} uncompressed; {@code data} holds exactly one cluster. */
    public void writePlain(long index, ByteBuffer data) throws IOException {
        throw new UnsupportedOperationException();
    }

    /** Stores guest cluster {@code index} as a compressed payload ({@code payload.remaining()} bytes). */
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        throw new UnsupportedOperationException();
    }

    /** Marks guest cluster {@code index} as reading zeros (v3 zero flag), hiding the backing file. */
    public void writeZero(long index) throws IOException {
        throw new UnsupportedOperationException();
    }

    /** Writes the remaining metadata (L2 tables, refcounts, header) and flushes. */
    public void finish() throws IOException {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() throws IOException {
    }
}
