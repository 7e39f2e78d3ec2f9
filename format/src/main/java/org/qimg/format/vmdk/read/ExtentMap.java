package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One extent of a VMDK: a range of the guest disk stored in one file, flat or sparse. Answers what is stored
 * at an offset of the extent and reads uncompressed bytes; thread-safe.
 */
abstract class ExtentMap {
    /** What one run of an extent is. */
    enum Kind { DATA, COMPRESSED, ZERO, UNALLOCATED }

    /**
     * A run of one kind from the queried offset.
     *
     * @param host for DATA the byte offset in the file of the run's first byte; for COMPRESSED the offset of
     *             the first grain (its marker, in a streamOptimized extent); else -1
     */
    record Run(Kind kind, long length, long host) {
    }

    final Path file;
    final FileChannel channel;
    final long fileLength;
    /** The type as the descriptor names it ("" for a sparse file opened as the image itself). */
    final String type;
    /** Guest bytes of this extent. */
    final long length;
    /** Where the extent starts in the guest disk (set when the image is assembled). */
    long start;

    ExtentMap(Path file, FileChannel channel, long fileLength, String type, long length) {
        this.file = file;
        this.channel = channel;
        this.fileLength = fileLength;
        this.type = type;
        this.length = length;
    }

    /** The run at {@code offset} (relative to the extent), at most {@code max} bytes and never past its end. */
    abstract Run map(long offset, long max) throws IOException;

    /** Grain bytes, or 0 for a flat extent. */
    abstract int grainBytes();

    boolean compressed() {
        return false;
    }

    /**
     * Reads the bytes of a DATA run at host offset {@code host} into dst (all of it). Flat extents read past
     * the end of their file as zeros (as QEMU does); sparse extents refuse grains past the end of the file.
     */
    abstract void readData(long host, ByteBuffer dst, long guest) throws IOException;
}
