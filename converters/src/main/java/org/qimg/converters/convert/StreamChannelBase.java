package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.qimg.format.io.GuestDataChannel;

/**
 * What the two channels of a stream output ({@link StreamedQcow2}) share: a write-only {@link FileChannel} that a
 * new image's writer is given instead of a file, told its guest data apart ({@link GuestDataChannel}), and whose
 * length follows the writes as a file's would ({@code size}, {@code truncate}), so that the writer ends the
 * image the same way in both passes. Reads, mapping and locks are not supported: the writer never uses them.
 */
abstract class StreamChannelBase extends FileChannel implements GuestDataChannel {
    /** The length a file would have after the writes so far. */
    long size;

    /** A write of the image's own metadata: {@code n = src.remaining()} bytes at {@code position}. */
    abstract void metadata(ByteBuffer src, long position) throws IOException;

    /**
     * A write of guest data: {@code n = src.remaining()} bytes at {@code position}, with what they hold as
     * {@link GuestDataChannel#writeGuestData} says.
     */
    abstract void data(ByteBuffer src, long position, long guestOffset, int compressedCluster) throws IOException;

    /** The writer shortens the file to {@code length} (below {@link #size}). */
    abstract void shorten(long length) throws IOException;

    @Override
    public final int write(ByteBuffer src, long position) throws IOException {
        int n = src.remaining();
        checkPosition(position, n);
        metadata(src.duplicate(), position);
        src.position(src.limit());
        size = Math.max(size, position + n);
        return n;
    }

    @Override
    public final int writeGuestData(ByteBuffer src, long position, long guestOffset, int compressedCluster)
            throws IOException {
        int n = src.remaining();
        checkPosition(position, n);
        data(src.duplicate(), position, guestOffset, compressedCluster);
        src.position(src.limit());
        size = Math.max(size, position + n);
        return n;
    }

    private static void checkPosition(long position, int n) {
        if (position < 0 || position > Long.MAX_VALUE - n) {
            throw new IllegalArgumentException("write of " + n + " bytes at " + position);
        }
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public final FileChannel truncate(long length) throws IOException {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        if (length < size) {
            shorten(length);
            size = length;
        }
        return this;
    }

    @Override
    public void force(boolean metaData) {
        // nothing is kept that a flush could make durable: standard output is flushed as it is written
    }

    @Override
    public int read(ByteBuffer dst) {
        throw unsupported();
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
        throw unsupported();
    }

    @Override
    public int read(ByteBuffer dst, long position) {
        throw unsupported();
    }

    @Override
    public int write(ByteBuffer src) {
        throw unsupported();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw unsupported();
    }

    @Override
    public long position() {
        throw unsupported();
    }

    @Override
    public FileChannel position(long newPosition) {
        throw unsupported();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
        throw unsupported();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw unsupported();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw unsupported();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw unsupported();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw unsupported();
    }

    @Override
    protected void implCloseChannel() {
        // the stream and the metadata belong to StreamedQcow2
    }

    private UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("a stream output is written with positional writes only");
    }
}
