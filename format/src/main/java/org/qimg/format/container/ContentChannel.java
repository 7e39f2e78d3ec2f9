package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.io.PositionedChannel;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * The bytes of an image inside a container as a read-only {@link FileChannel}: what a format reader (qcow2,
 * vmdk) opens instead of a file ({@code ImageFormat#open(Path, FileChannel, OpenOptions)}). Positional reads
 * from any thread are served by a {@link Source}: the decoded pieces of an indexed compressed file
 * ({@link BlockCache}), or a byte range of a plain tar archive ({@link #range}). Writes, locks and mappings are
 * refused. Closing it closes the source.
 */
final class ContentChannel extends PositionedChannel {
    /** Where the bytes come from. */
    interface Source extends java.io.Closeable {
        /** Fills {@code dst} with the bytes from {@code pos} (all of which lie within the size). */
        void read(long pos, ByteBuffer dst) throws IOException;
    }

    private final Source cache;
    private final long size;

    ContentChannel(Source source, long size) {
        this.cache = source;
        this.size = size;
    }

    /**
     * Bytes {@code [start, start + length)} of {@code file} (a member of a plain tar), read in place; fails
     * when the file is shorter (a truncated archive).
     */
    static ContentChannel range(Path file, long start, long length) throws IOException {
        FileChannel ch = org.qimg.format.io.NamedChannel.open(file, java.nio.file.StandardOpenOption.READ);
        try {
            if (start < 0 || length < 0 || start > ch.size() - length) {
                throw new org.qimg.format.ImageException(file + ": tar member at offset " + start + " (" + length
                        + " bytes) extends past the end of the file (" + ch.size() + " bytes): the archive is truncated");
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new ContentChannel(new Source() {
            @Override
            public void read(long pos, ByteBuffer dst) throws IOException {
                org.qimg.format.io.Positional.readFully(ch, dst, start + pos, file);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        }, length);
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        if (pos < 0) {
            throw new IllegalArgumentException("negative position");
        }
        ensureOpen();
        if (pos >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - pos);
        if (n == 0) {
            return 0;
        }
        int limit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            cache.read(pos, dst);
        } finally {
            dst.limit(limit);
        }
        return n;
    }

    private void ensureOpen() throws IOException {
        if (!isOpen()) {
            throw new java.nio.channels.ClosedChannelException();
        }
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return size;
    }

    @Override
    public int write(ByteBuffer src, long pos) {
        throw new NonWritableChannelException();
    }

    @Override
    public FileChannel truncate(long newSize) {
        throw new NonWritableChannelException();
    }

    @Override
    public void force(boolean metaData) {
        // nothing is ever written
    }

    @Override
    public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 20));
        long done = 0;
        while (done < count) {
            b.clear().limit((int) Math.min(b.capacity(), count - done));
            int n = read(b, pos + done);
            if (n <= 0) {
                break;
            }
            b.flip();
            while (b.hasRemaining()) {
                target.write(b);
            }
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long pos, long count) {
        throw new NonWritableChannelException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long pos, long length) throws IOException {
        throw new UnsupportedOperationException("the decompressed bytes of a container cannot be mapped");
    }

    @Override
    public FileLock lock(long pos, long length, boolean shared) throws IOException {
        throw new UnsupportedOperationException("the decompressed bytes of a container cannot be locked");
    }

    @Override
    public FileLock tryLock(long pos, long length, boolean shared) throws IOException {
        throw new UnsupportedOperationException("the decompressed bytes of a container cannot be locked");
    }

    @Override
    protected void implCloseChannel() throws IOException {
        cache.close();
    }
}
