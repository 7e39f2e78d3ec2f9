package org.qimg.converters.ova;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.io.PositionedChannel;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * A {@link FileChannel} over a new, empty file that digests the file's bytes as they are written, so that a
 * writer that appends (a streamOptimized VMDK is written front to back) costs no second read of its output.
 *
 * <p>The digest stays valid while every write starts at or after the end of what has been digested: a gap
 * is digested as the zeros a fresh file reads there. A write that goes back into digested bytes, a
 * {@link #truncate} below them, a {@link #map} or a {@link #transferFrom} gives the digest up ({@link #digest}
 * then answers empty and the caller reads the file once). Writes are serialised with the digest; the channel
 * is meant for one writer. Closing it does not close the file under it.
 */
final class HashingChannel extends PositionedChannel {
    private static final ByteBuffer ZEROS = ByteBuffer.allocate(64 << 10).asReadOnlyBuffer();

    private final FileChannel inner;
    private final MessageDigest digest;
    private long digested;
    private boolean valid;

    /** Over {@code inner}, an empty file; with a null {@code digest} nothing is digested. */
    HashingChannel(FileChannel inner, MessageDigest digest) throws IOException {
        if (inner.size() != 0) {
            throw new IllegalArgumentException("the file must be empty");
        }
        this.inner = inner;
        this.digest = digest;
        this.valid = digest != null;
    }

    /**
     * The digest of the file's first {@code size} bytes (its length, once complete), or empty when the writes
     * did not allow it to be computed on the way. The digest is consumed: call once.
     */
    synchronized Optional<byte[]> digest(long size) {
        if (!valid || size < digested) {
            return Optional.empty();
        }
        zeros(size - digested);
        valid = false;
        return Optional.of(digest.digest());
    }

    /** Whether the digest is still being computed on the way (for tests and the report). */
    synchronized boolean sequential() {
        return valid;
    }

    private void zeros(long n) {
        for (long left = n; left > 0; ) {
            int k = (int) Math.min(left, ZEROS.capacity());
            digest.update(ZEROS.duplicate().limit(k));
            left -= k;
        }
        digested += n;
    }

    /** Digests the bytes {@code src} held from {@code start} that were just written at file offset {@code at}. */
    private void written(ByteBuffer src, int start, int n, long at) {
        if (!valid || n <= 0) {
            return;
        }
        if (at < digested) {
            valid = false;
            return;
        }
        zeros(at - digested);
        ByteBuffer d = src.duplicate();
        d.position(start).limit(start + n);
        digest.update(d);
        digested += n;
    }

    @Override
    public synchronized int write(ByteBuffer src, long at) throws IOException {
        int start = src.position();
        int n = inner.write(src, at);
        written(src, start, n, at);
        return n;
    }

    @Override
    public int read(ByteBuffer dst, long at) throws IOException {
        return inner.read(dst, at);
    }

    @Override
    public long size() throws IOException {
        return inner.size();
    }

    @Override
    public synchronized FileChannel truncate(long size) throws IOException {
        if (size < digested) {
            valid = false;
        }
        inner.truncate(size);
        position(Math.min(position(), size));
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        inner.force(metaData);
    }

    @Override
    public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
        return inner.transferTo(at, count, target);
    }

    @Override
    public synchronized long transferFrom(ReadableByteChannel src, long at, long count) throws IOException {
        valid = false;
        return inner.transferFrom(src, at, count);
    }

    @Override
    public synchronized MappedByteBuffer map(MapMode mode, long at, long size) throws IOException {
        if (mode != MapMode.READ_ONLY) {
            valid = false;
        }
        return inner.map(mode, at, size);
    }

    @Override
    public FileLock lock(long at, long size, boolean shared) throws IOException {
        return inner.lock(at, size, shared);
    }

    @Override
    public FileLock tryLock(long at, long size, boolean shared) throws IOException {
        return inner.tryLock(at, size, shared);
    }

    /** Leaves the file open: it belongs to whoever made it, who reads it back after the writer is done. */
    @Override
    protected void implCloseChannel() {
    }
}
