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
 * Bytes {@code [start, start + size)} of an image, seen as an image of {@code size} bytes. Two kinds:
 * <ul>
 *   <li>{@link #prefix}: the first {@code size} bytes, with the image's layout, extents and compressed payloads
 *       as they are (what a raw convert wrote into a larger block device, whose bytes past the image are the
 *       device's old content);</li>
 *   <li>{@link #slice}: any range (dd's {@code skip} and {@code count}); its layout is flat (the slice need not
 *       start on a cluster) and no payload is handed on compressed.</li>
 * </ul>
 * Closing the view closes the image.
 */
public final class SliceImage implements DiskImage {
    private final DiskImage image;
    private final long start;
    private final long size;
    /** A prefix keeps the image's layout and compressed payloads; a slice does not. */
    private final boolean prefix;

    private SliceImage(DiskImage image, long start, long size, boolean prefix) {
        this.image = image;
        this.start = start;
        this.size = size;
        this.prefix = prefix;
    }

    /** The first {@code size} bytes of {@code image}, keeping its layout and compressed payloads. */
    public static SliceImage prefix(DiskImage image, long size) {
        if (size < 0 || size > image.virtualSize()) {
            throw new IllegalArgumentException("prefix of " + size + " bytes of a " + image.virtualSize()
                    + "-byte image");
        }
        return new SliceImage(image, 0, size, true);
    }

    /** Bytes {@code [start, start + size)} of {@code image}, with a flat layout and no compressed payloads. */
    public static SliceImage slice(DiskImage image, long start, long size) {
        if (start < 0 || size < 0 || start > image.virtualSize() - size) {
            throw new IllegalArgumentException("slice [" + start + ", +" + size + ") of a " + image.virtualSize()
                    + "-byte image");
        }
        return new SliceImage(image, start, size, false);
    }

    private String describe() {
        return prefix ? "the first " + size + " bytes" : "the " + size + "-byte slice";
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
                    + " is outside " + describe());
        }
        image.read(start + offset, dst);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        Extent e = image.extentAt(start + offset, Math.min(maxLength, size - offset));
        if (prefix) {
            return e;
        }
        if (e.compressed()) {
            return new Extent(offset, e.length(), Extent.Status.DATA, -1, false);
        }
        return new Extent(offset, e.length(), e.status(), e.hostOffset(), false, e.hostZero());
    }

    @Override
    public ImageLayout layout() {
        return prefix ? image.layout() : DiskImage.super.layout();
    }

    @Override
    public Optional<CompressedPayload> compressedPayload(long guestOffset) throws IOException {
        if (!prefix) {
            return DiskImage.super.compressedPayload(guestOffset);
        }
        if (guestOffset >= size) {
            throw new IllegalArgumentException("offset " + guestOffset + " is outside " + describe());
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
