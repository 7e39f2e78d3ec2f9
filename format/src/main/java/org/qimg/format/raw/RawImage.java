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
import org.qimg.format.io.NativeFiles;
import org.qimg.format.io.Positional;

/**
 * A raw file read as a disk. The guest size is the file length rounded up to whole 512-byte sectors, as
 * QEMU sees it; the bytes past the end of the file read as zeros.
 */
public final class RawImage implements DiskImage {
    private final Path path;
    private final FileChannel channel;
    private final long fileLength;
    private final long virtualSize;
    private final NativeFiles.HoleMap holes;

    private RawImage(Path path, FileChannel channel, long fileLength) {
        this.path = path;
        this.channel = channel;
        this.fileLength = fileLength;
        this.virtualSize = roundUpToSector(fileLength);
        this.holes = NativeFiles.holeMap(path);
    }

    public static RawImage open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new RawImage(path, ch, ch.size());
        } catch (IOException | RuntimeException e) {
            ch.close();
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
        if (offset < 0 || len > virtualSize - offset) {
            throw new ImageException(path + ": read of " + len + " bytes at offset " + offset
                    + " is outside the image (virtual size " + virtualSize + ")");
        }
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

    @Override
    public Extent extentAt(long offset, long maxLength) throws IOException {
        if (offset < 0 || offset >= virtualSize || maxLength <= 0) {
            throw new ImageException(path + ": extent query at offset " + offset + " is outside the image");
        }
        long len = Math.min(maxLength, virtualSize - offset);
        // Holes (SEEK_HOLE) read as zeros; like QEMU, a data run ending in a partial last sector covers
        // that whole sector. Both kinds map 1:1 onto the file, so hostOffset is the guest offset.
        long[] run = holes.runAt(offset, len, fileLength);
        long runLength = run[0];
        boolean data = run[1] != 0;
        if (data && offset + runLength == fileLength) {
            runLength = len;
        }
        return new Extent(offset, runLength, data ? Extent.Status.DATA : Extent.Status.ZERO, offset, false);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("raw", virtualSize, null, null, null, null, null, null, null);
    }

    @Override
    public long actualSize() throws IOException {
        return NativeFiles.allocatedBytes(path);
    }

    @Override
    public void close() throws IOException {
        holes.close();
        channel.close();
    }
}
