package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.io.Positional;

/**
 * A FLAT or VMFS extent: the guest bytes stored as they are from a sector of a file. Bytes past the end of
 * the file read as zeros, as QEMU reads them.
 */
final class FlatExtent extends ExtentMap {
    private final long base;

    FlatExtent(Path file, FileChannel channel, long fileLength, String type, long length, long base) {
        super(file, channel, fileLength, type, length);
        this.base = base;
    }

    long base() {
        return base;
    }

    @Override
    Run map(long offset, long max) {
        return new Run(Kind.DATA, Math.min(max, length - offset), base + offset);
    }

    @Override
    int grainBytes() {
        return 0;
    }

    @Override
    void readData(long host, ByteBuffer dst, long guest) throws IOException {
        long inFile = Math.max(0, Math.min(dst.remaining(), fileLength - host));
        if (inFile > 0) {
            int lim = dst.limit();
            dst.limit(dst.position() + (int) inFile);
            Positional.readFully(channel, dst, host, file);
            dst.limit(lim);
        }
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }
}
