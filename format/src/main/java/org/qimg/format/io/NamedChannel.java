package org.qimg.format.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import org.qimg.format.ImageException;

/**
 * A {@link FileChannel} whose I/O errors say which file and which byte: an {@link IOException} from a read,
 * write, flush or resize becomes an {@link ImageException} such as
 * {@code 'dst.qcow2': error while writing at byte 8388608: No space left on device} (qemu-img's wording,
 * {@code error while writing at byte N: <strerror>}, with the file named and N the offset in that file).
 *
 * <p>A channel from {@link #wrapDevice} stands for a device, whose size is fixed: {@link #truncate} does
 * nothing there, as QEMU's host_device driver treats a resize that does not grow the device.
 *
 * <p>Passed through unchanged: {@link ImageException}s (they already say where) and
 * {@link ClosedChannelException}s (an interrupted or closed channel is not a disk error). Thread-safe as
 * the wrapped channel is.
 */
public final class NamedChannel extends FileChannel {
    private final FileChannel inner;
    private final Path file;
    private final boolean fixedSize;

    private NamedChannel(FileChannel inner, Path file, boolean fixedSize) {
        this.inner = inner;
        this.file = file;
        this.fixedSize = fixedSize;
    }

    /** {@code ch} with errors that name {@code file} (returned as is when it already names a file). */
    public static FileChannel wrap(FileChannel ch, Path file) {
        return ch instanceof NamedChannel ? ch : new NamedChannel(ch, file, false);
    }

    /**
     * {@code ch}, open on a block or character device, with named errors and a fixed size: {@link #truncate}
     * never reaches the device (a device cannot shrink, and {@code FileChannel.truncate} never grows).
     */
    public static FileChannel wrapDevice(FileChannel ch, Path file) {
        return new NamedChannel(ch, file, true);
    }

    /** Opens {@code file} as {@link FileChannel#open(Path, OpenOption...)} does, with named errors. */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        return new NamedChannel(FileChannel.open(file, options), file, false);
    }

    /** The file errors are reported for. */
    public Path file() {
        return file;
    }

    private IOException named(IOException e, String what) {
        if (e instanceof ImageException || e instanceof ClosedChannelException) {
            return e;
        }
        String reason = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                : e.getMessage();
        return new ImageException("'" + file + "': " + what + ": " + reason, e);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        try {
            return inner.read(dst, position);
        } catch (IOException e) {
            throw named(e, "error while reading at byte " + position);
        }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        try {
            return inner.write(src, position);
        } catch (IOException e) {
            throw named(e, "error while writing at byte " + position);
        }
    }

    @Override
    public void force(boolean metaData) throws IOException {
        try {
            inner.force(metaData);
        } catch (IOException e) {
            throw named(e, "error while flushing");
        }
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (fixedSize) {
            if (size < 0) {
                throw new IllegalArgumentException("negative size");
            }
            return this;
        }
        try {
            inner.truncate(size);
            return this;
        } catch (IOException e) {
            throw named(e, "Could not resize file to " + size + " bytes");
        }
    }

    @Override
    public long size() throws IOException {
        try {
            return inner.size();
        } catch (IOException e) {
            throw named(e, "Could not get the file size");
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        long at = positionOrMinus();
        try {
            return inner.read(dst);
        } catch (IOException e) {
            throw named(e, at < 0 ? "error while reading" : "error while reading at byte " + at);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long at = positionOrMinus();
        try {
            return inner.read(dsts, offset, length);
        } catch (IOException e) {
            throw named(e, at < 0 ? "error while reading" : "error while reading at byte " + at);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long at = positionOrMinus();
        try {
            return inner.write(src);
        } catch (IOException e) {
            throw named(e, at < 0 ? "error while writing" : "error while writing at byte " + at);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long at = positionOrMinus();
        try {
            return inner.write(srcs, offset, length);
        } catch (IOException e) {
            throw named(e, at < 0 ? "error while writing" : "error while writing at byte " + at);
        }
    }

    private long positionOrMinus() {
        try {
            return inner.position();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public long position() throws IOException {
        return inner.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        inner.position(newPosition);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return inner.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return inner.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return inner.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return inner.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return inner.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        inner.close();
    }
}
