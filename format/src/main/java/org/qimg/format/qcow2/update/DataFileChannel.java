package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ImageException;
import org.qimg.format.ResizeRequest.Preallocation;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostTruncate;

/**
 * The external data file of an image being resized or written in place (named in the header, relative to the
 * image's directory),
 * open for writing; an empty holder for an image without one.
 */
final class DataFileChannel implements AutoCloseable {
    private final RandomAccessFile raf;
    private final FileChannel channel;
    private final Path path;

    private DataFileChannel(RandomAccessFile raf, FileChannel channel, Path path) {
        this.raf = raf;
        this.channel = channel;
        this.path = path;
    }

    static DataFileChannel open(Path image, Qcow2Header h) throws IOException {
        if (!h.hasExternalDataFile()) {
            return new DataFileChannel(null, null, null);
        }
        String name = h.extensions().dataFile();
        if (name == null || name.isEmpty()) {
            throw new ImageException("Could not open '" + image + "': 'data-file' is required for this image");
        }
        Path p = Path.of(name);
        Path dir = image.toAbsolutePath().getParent();
        if (!p.isAbsolute() && dir != null) {
            p = dir.resolve(p);
        }
        RandomAccessFile raf;
        try {
            raf = new RandomAccessFile(p.toFile(), "rw");
        } catch (java.io.FileNotFoundException e) {
            throw new ImageException("Could not open '" + p + "': No such file or directory", e);
        }
        return new DataFileChannel(raf, NamedChannel.wrap(raf.getChannel(), p), p);
    }

    /** The data file's channel, or null without one. */
    FileChannel channel() {
        return channel;
    }

    Path path() {
        return path;
    }

    /** QEMU's truncate of the data file to the image's new size (a regular file gets exactly that length). */
    void truncate(long size) throws IOException {
        if (channel != null) {
            HostTruncate.truncate(channel, path, size, Preallocation.OFF);
        }
    }

    @Override
    public void close() throws IOException {
        if (raf != null) {
            channel.force(false);
            raf.close();
        }
    }
}
