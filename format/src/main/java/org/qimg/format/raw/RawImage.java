package org.qimg.format.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.io.ReadRange;

/**
 * A raw file read as a disk. The guest size is the file length rounded up to whole 512-byte sectors, as
 * QEMU sees it; the bytes past the end of the file read as zeros.
 */
public final class RawImage implements DiskImage {
    private final Path path;
    private final FileChannel channel;
    private final long fileLength;
    private final long virtualSize;
    /** Separate O_RDONLY descriptor for SEEK_DATA/SEEK_HOLE; -1 when hole queries are unavailable. */
    private final int seekFd;
    private volatile boolean seekWorks;
    private final ImageLock lock;

    private RawImage(Path path, FileChannel channel, long fileLength, int seekFd, ImageLock lock) {
        this.path = path;
        this.lock = lock;
        this.channel = channel;
        this.fileLength = fileLength;
        this.virtualSize = roundUpToSector(fileLength);
        this.seekFd = seekFd;
        this.seekWorks = seekFd >= 0;
    }

    /** Opens {@code path} holding QEMU's read locks on it ({@link LockPerms#READ}). */
    public static RawImage open(Path path) throws IOException {
        return open(path, LockPerms.READ);
    }

    /** Opens {@code path} holding {@code perms} (QEMU's image locks) until {@link #close()}. */
    public static RawImage open(Path path, LockPerms perms) throws IOException {
        ImageLock lock = ImageLock.acquire(path, perms);
        FileChannel ch = null;
        try {
            ch = NamedChannel.open(path, StandardOpenOption.READ);
            return new RawImage(path, ch, ch.size(), HostFiles.openForSeek(path), lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            lock.close();
            throw e;
        }
    }

    static long roundUpToSector(long n) {
        return n % 512 == 0 ? n : Math.addExact(n, 512 - n % 512);
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

    /** Length of the underlying file in bytes (may be less than the virtual size by up to 511). */
    public long fileLength() {
        return fileLength;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int len = dst.remaining();
        ReadRange.require(path, offset, len, virtualSize);
        long inFile = Math.max(0, Math.min(len, fileLength - offset));
        if (inFile > 0) {
            int lim = dst.limit();
            dst.limit(dst.position() + (int) inFile);
            Positional.readFully(channel, dst, offset, path);
            dst.limit(lim);
        }
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    /**
     * Holes (found with SEEK_DATA/SEEK_HOLE) are ZERO, as qemu-img map shows them (zero, no data); the rest
     * of the file is DATA with host offset = guest offset. The bytes between the end of the file and the
     * next sector boundary are ZERO (qemu-img map shows them so). Where the file system cannot report holes,
     * everything is DATA.
     */
    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        if (offset < 0 || offset >= virtualSize || maxLength <= 0) {
            throw new ImageException(path + ": extent query at offset " + offset + " is outside the image");
        }
        long end = offset + Math.min(maxLength, virtualSize - offset);
        if (offset >= fileLength) {
            return new Extent(offset, end - offset, Extent.Status.ZERO, -1, false);
        }
        if (seekWorks) {
            long data = HostFiles.seek(seekFd, offset, HostFiles.SEEK_DATA);
            if (data > offset) {
                // in a hole up to the next data, or to the end of the file (and its sector tail)
                long holeEnd = data >= fileLength ? virtualSize : data;
                return new Extent(offset, Math.min(end, holeEnd) - offset, Extent.Status.ZERO, -1, false);
            }
            if (data == offset) {
                long hole = HostFiles.seek(seekFd, offset, HostFiles.SEEK_HOLE);
                if (hole > offset) {
                    long dataEnd = Math.min(hole, fileLength);
                    return new Extent(offset, Math.min(end, dataEnd) - offset, Extent.Status.DATA, offset, false);
                }
            }
            seekWorks = false; // the file system gave an answer that makes no sense: stop asking
        }
        return new Extent(offset, end - offset, Extent.Status.DATA, offset, false);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("raw", virtualSize, null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() throws IOException {
        return HostFiles.allocatedBytes(path);
    }

    @Override
    public void close() throws IOException {
        HostFiles.close(seekFd);
        try {
            channel.close();
        } finally {
            lock.close();
        }
    }
}
