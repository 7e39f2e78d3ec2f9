package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.io.ReadRange;

/**
 * A raw disk stored as one contiguous byte range of a file (a member of a plain tar archive): read in place,
 * from any offset and any thread, with no copy. The disk is the range's length rounded up to whole sectors.
 */
final class SliceImage implements DiskImage {
    private final Path path;
    private final FileChannel channel;
    private final long start;
    private final long length;
    private final long virtualSize;

    private SliceImage(Path path, FileChannel channel, long start, long length) {
        this.path = path;
        this.channel = channel;
        this.start = start;
        this.length = length;
        this.virtualSize = length % 512 == 0 ? length : Math.addExact(length, 512 - length % 512);
    }

    static SliceImage open(Path path, long start, long length) throws IOException {
        FileChannel ch = NamedChannel.open(path, StandardOpenOption.READ);
        try {
            if (start < 0 || length < 0 || start > ch.size() - length) {
                throw new ImageException(path + ": tar member at offset " + start + " (" + length
                        + " bytes) extends past the end of the file (" + ch.size() + " bytes): the archive is truncated");
            }
            return new SliceImage(path, ch, start, length);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return "raw";
    }

    @Override
    public long virtualSize() {
        return virtualSize;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int len = dst.remaining();
        ReadRange.require(path, offset, len, virtualSize);
        int stored = (int) Math.max(0, Math.min(len, length - offset));
        int lim = dst.limit();
        dst.limit(dst.position() + stored);
        Positional.readFully(channel, dst, start + offset, path);
        dst.limit(lim);
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        if (offset < 0 || offset >= virtualSize || maxLength <= 0) {
            throw new ImageException(path + ": extent query at offset " + offset + " is outside the image");
        }
        return new Extent(offset, Math.min(maxLength, virtualSize - offset), Extent.Status.DATA, start + offset,
                false);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("raw", virtualSize, null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() throws IOException {
        return org.qimg.format.raw.HostFiles.allocatedBytes(path);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
