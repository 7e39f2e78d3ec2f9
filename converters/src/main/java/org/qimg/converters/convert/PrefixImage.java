package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import org.qimg.format.CompressedPayload;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageInfo;
import org.qimg.format.ImageLayout;

/**
 * The first {@code size} bytes of an image: what a raw convert wrote into a larger block device, whose bytes
 * past the image are the device's old content. Closing the view closes the image.
 */
final class PrefixImage implements DiskImage {
    private final DiskImage image;
    private final long size;

    PrefixImage(DiskImage image, long size) {
        if (size < 0 || size > image.virtualSize()) {
            throw new IllegalArgumentException("prefix of " + size + " bytes of a " + image.virtualSize()
                    + "-byte image");
        }
        this.image = image;
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
                    + " is outside the first " + size + " bytes");
        }
        image.read(offset, dst);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        return image.extentAt(offset, Math.min(maxLength, size - offset));
    }

    @Override
    public ImageLayout layout() {
        return image.layout();
    }

    @Override
    public Optional<CompressedPayload> compressedPayload(long guestOffset) throws IOException {
        if (guestOffset >= size) {
            throw new IllegalArgumentException("offset " + guestOffset + " is outside the first " + size + " bytes");
        }
        return image.compressedPayload(guestOffset);
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
