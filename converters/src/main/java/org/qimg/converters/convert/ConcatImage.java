package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageInfo;

/**
 * Several images read one after the other as one guest disk, the way {@code convert SRC1 SRC2 DST} sees them:
 * what a converted target must equal. Backing chains of the parts are resolved here, so the view itself has
 * no backing file; its extents are DATA or ZERO. Closing it does not close the parts.
 */
public final class ConcatImage implements DiskImage {
    private final List<DiskImage> parts;
    private final ConcatSource source;

    private ConcatImage(List<DiskImage> parts) {
        this.parts = List.copyOf(parts);
        this.source = new ConcatSource(this.parts, false);
    }

    /** The single image itself, or a concatenated view of several. */
    public static DiskImage of(List<DiskImage> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no image to concatenate");
        }
        return parts.size() == 1 ? parts.get(0) : new ConcatImage(parts);
    }

    @Override
    public Path path() {
        return parts.get(0).path();
    }

    @Override
    public String formatName() {
        return "concat";
    }

    @Override
    public long virtualSize() {
        return source.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0 || dst.remaining() > source.size() - offset) {
            throw new IllegalArgumentException("read of " + dst.remaining() + " bytes at " + offset
                    + " is outside the concatenation (" + source.size() + " bytes)");
        }
        source.read(offset, dst);
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        ConcatSource.Run r = source.runAt(offset, Math.min(maxLength, source.size() - offset));
        return new Extent(offset, r.length(), r.kind() == ConcatSource.Kind.DATA ? Extent.Status.DATA
                : Extent.Status.ZERO, -1, false);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("concat", source.size(), null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() throws IOException {
        long sum = 0;
        for (DiskImage p : parts) {
            sum += p.actualSize();
        }
        return sum;
    }

    @Override
    public void close() {
    }

    /**
     * Closes every image of {@code images}, last opened first (a snapshot view before the image it views), even
     * when one fails; the first failure is thrown after all were tried.
     */
    public static void closeAll(List<DiskImage> images) throws IOException {
        IOException first = null;
        for (int i = images.size() - 1; i >= 0; i--) {
            try {
                images.get(i).close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
