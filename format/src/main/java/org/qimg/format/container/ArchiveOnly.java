package org.qimg.format.container;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;

/**
 * What {@code info} opens of an archive that holds several disks and no member was named: an empty disk that
 * says "tar archive", so that the report can list the members. Only opened without guest data; it reads
 * nothing.
 */
final class ArchiveOnly implements DiskImage {
    private final Path path;

    ArchiveOnly(Path path) {
        this.path = path;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return "tar";
    }

    @Override
    public long virtualSize() {
        return 0;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws ImageException {
        throw new ImageException(path + ": a tar archive with several members; name one as tar:ARCHIVE::MEMBER");
    }

    @Override
    public Extent extentAt(long offset, long maxLength) throws ImageException {
        throw new ImageException(path + ": a tar archive with several members; name one as tar:ARCHIVE::MEMBER");
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("tar archive", 0, null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() {
        return -1;
    }

    @Override
    public void close() {
    }
}
