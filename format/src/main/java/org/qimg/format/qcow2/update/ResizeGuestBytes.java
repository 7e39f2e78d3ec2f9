package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;

/**
 * The guest content a resize copies-on-write, as QEMU reads it while the image still has its old size: below
 * the old size the image itself (with its backing chain), past it the backing file (zeros past the backing
 * file's end, or without one). The image is opened on the first read only, sharing the lock the resize holds.
 */
final class ResizeGuestBytes implements ResizePreallocation.GuestBytes, AutoCloseable {
    private final Path path;
    private final long oldSize;
    private DiskImage image;

    ResizeGuestBytes(Path path, long oldSize) {
        this.path = path;
        this.oldSize = oldSize;
    }

    @Override
    public void read(long offset, byte[] dst) throws IOException {
        if (image == null) {
            image = ImageFormats.open(path, "qcow2", OpenOptions.DEFAULT.forceShare(true));
        }
        long end = offset + dst.length;
        if (offset < oldSize) {
            int n = (int) (Math.min(end, oldSize) - offset);
            image.read(offset, ByteBuffer.wrap(dst, 0, n));
            offset += n;
        }
        Optional<DiskImage> backing = image.backing();
        if (offset < end && backing.isPresent() && offset < backing.get().virtualSize()) {
            int at = (int) (offset - (end - dst.length));
            int n = (int) (Math.min(end, backing.get().virtualSize()) - offset);
            backing.get().read(offset, ByteBuffer.wrap(dst, at, n));
        }
    }

    @Override
    public void close() throws IOException {
        if (image != null) {
            image.close();
        }
    }
}
