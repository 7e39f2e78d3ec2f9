package org.qimg.converters.dd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageInfo;

/**
 * Bytes {@code [start, start + size)} of an image, seen as an image of {@code size} bytes. Its layout is flat
 * (the slice need not start on a cluster) and no payload is handed on compressed. Closing it closes the image.
 */
final class SliceImage implements DiskImage {
    private final DiskImage image;
    private final long start;
    private final long size;

    SliceImage(DiskImage image, long start, long size) {
        if (start < 0 || size < 0 || start > image.virtualSize() - size) {
            throw new IllegalArgumentException("slice [" + start + ", +" + size + ") of a " + image.virtualSize()
                    + "-byte image");
        }
        this.image = image;
        this.start = start;
        this.size = size;
    }

    @Override
    public Path path() {
        return image.path();
    }

    @Override
    public String formatName() {
        return image.formatName();
    }

    @Override
    public long virtualSize() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0 || dst.remaining() > size - offset) {
            throw new IllegalArgumentException("read of " + dst.remaining() + " bytes at " + offset
                    + " is outside the " + size + "-byte slice");
        }
        image.read(start + offset, dst);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        Extent e = image.extentAt(start + offset, Math.min(maxLength, size - offset));
        if (e.compressed()) {
            return new Extent(offset, e.length(), Extent.Status.DATA, -1, false);
        }
        return new Extent(offset, e.length(), e.status(), e.hostOffset(), false, e.hostZero());
    }

    @Override
    public ImageInfo info() throws IOException {
        return image.info();
    }

    @Override
    public long actualSize() throws IOException {
        return image.actualSize();
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
