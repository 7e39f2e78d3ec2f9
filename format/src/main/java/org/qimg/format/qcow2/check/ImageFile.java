package org.qimg.format.qcow2.check;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;

/**
 * The qcow2 file under check. Reads past the end of the file return zeros, as QEMU's file driver does,
 * so a table that runs off the end reads as empty entries instead of failing the whole check.
 */
final class ImageFile implements Closeable {
    private final Path path;
    private final FileChannel channel;
    private final boolean writable;
    private long length;

    private ImageFile(Path path, FileChannel channel, boolean writable) throws IOException {
        this.path = path;
        this.channel = channel;
        this.writable = writable;
        this.length = channel.size();
    }

    static ImageFile open(Path path, boolean writable) throws IOException {
        FileChannel ch = writable
                ? NamedChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : NamedChannel.open(path, StandardOpenOption.READ);
        return new ImageFile(path, ch, writable);
    }

    Path path() {
        return path;
    }

    long length() {
        return length;
    }

    boolean writable() {
        return writable;
    }

    /** Fills {@code dst[0, len)} from {@code offset}; bytes past the end of the file read as zeros. */
    void read(long offset, byte[] dst, int len) throws IOException {
        int inFile = offset >= length ? 0 : (int) Math.min(len, length - offset);
        if (inFile > 0) {
            Positional.readFully(channel, ByteBuffer.wrap(dst, 0, inFile), offset, path);
        }
        java.util.Arrays.fill(dst, inFile, len, (byte) 0);
    }

    byte[] read(long offset, int len) throws IOException {
        byte[] b = new byte[len];
        read(offset, b, len);
        return b;
    }

    void write(long offset, byte[] src, int from, int len) throws IOException {
        if (!writable) {
            throw new IllegalStateException(path + " is open read-only");
        }
        Positional.writeFully(channel, ByteBuffer.wrap(src, from, len), offset);
        length = Math.max(length, offset + len);
    }

    /** Grows the file to {@code newLength} bytes (zero-filled), as qemu's repair of a refblock past EOF. */
    void growTo(long newLength) throws IOException {
        if (newLength > length) {
            Positional.writeFully(channel, ByteBuffer.allocate(1), newLength - 1);
            length = newLength;
        }
    }

    void sync() throws IOException {
        channel.force(true);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
