package org.qimg.format.spec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.io.ReadRange;

/**
 * A raw file seen through a window ({@code raw}'s {@code offset} and {@code size}) or as the {@code file}
 * protocol alone: guest offset {@code g} is byte {@code offset + g} of the file. Reads and extent queries are
 * bounded by the window; host offsets are the file's.
 */
final class WindowImage implements DiskImage {
    private final DiskImage file;
    private final String format;
    private final long offset;
    private final long size;

    WindowImage(DiskImage file, String format, long offset, long size) {
        this.file = file;
        this.format = format;
        this.offset = offset;
        this.size = size;
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public String formatName() {
        return format;
    }

    @Override
    public long virtualSize() {
        return size;
    }

    @Override
    public void read(long pos, ByteBuffer dst) throws IOException {
        ReadRange.require(path(), pos, dst.remaining(), size);
        // the window may end past the file's last sector (a size rounded up): zeros there
        long inFile = Math.max(0, Math.min(dst.remaining(), file.virtualSize() - offset - pos));
        int limit = dst.limit();
        dst.limit(dst.position() + (int) inFile);
        if (inFile > 0) {
            file.read(offset + pos, dst);
        }
        dst.limit(limit);
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    @Override
    public Extent extentAt(long pos, long maxLength) throws IOException {
        if (pos < 0 || pos >= size || maxLength <= 0) {
            throw new ImageException(path() + ": extent query at offset " + pos + " is outside the image");
        }
        long max = Math.min(maxLength, size - pos);
        long inFile = file.virtualSize() - offset - pos;
        if (inFile <= 0) {
            return new Extent(pos, max, Extent.Status.ZERO, -1, false);
        }
        Extent e = file.extentAt(offset + pos, Math.min(max, inFile));
        long host = e.hostOffset();
        if (e.status() == Extent.Status.ZERO && host < 0) {
            host = offset + pos; // a raw file says where its holes are, as it does for its data
        }
        return new Extent(pos, e.length(), e.status(), host, e.compressed(), e.hostZero());
    }

    @Override
    public String hostFile(long guestOffset) {
        return file.hostFile(offset + guestOffset);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo(format, size, null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() throws IOException {
        return file.actualSize();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
