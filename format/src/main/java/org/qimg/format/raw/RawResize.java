package org.qimg.format.raw;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ResizeRequest;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.Positional;

/**
 * {@code qemu-img resize} of a raw image (QEMU's file driver, {@code raw_co_truncate}): the file is set to
 * the new length; a grown area is left sparse ({@code off}), allocated ({@code falloc}) or written with zeros
 * ({@code full}). {@code metadata} is refused with QEMU's message.
 */
final class RawResize {
    /** What qemu-img resize takes of the image: read, write and resize, sharing everything. */
    static final LockPerms PERMS = new LockPerms(LockPerms.CONSISTENT_READ | LockPerms.WRITE | LockPerms.RESIZE,
            LockPerms.ALL);
    private static final int ZERO_CHUNK = 1 << 20;

    private RawResize() {
    }

    static void resize(Path path, ResizeRequest request) throws IOException {
        ResizeRequest.Preallocation p = request.prealloc();
        if (p == ResizeRequest.Preallocation.METADATA) {
            throw new UnsupportedFeatureException("Unsupported preallocation mode: " + p.qemuName());
        }
        try (ImageLock lock = ImageLock.acquire(path, PERMS.rawFile(request.forceShare()));
             RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            FileChannel ch = file.getChannel();
            long old = ch.size();
            long size = request.newSize();
            if (size <= old || p == ResizeRequest.Preallocation.OFF) {
                file.setLength(size); // ftruncate: a grown area stays a hole, as QEMU's
            } else if (p == ResizeRequest.Preallocation.FULL || !HostFiles.fallocate(path, old, size - old)) {
                ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);
                for (long at = old; at < size; ) {
                    int n = (int) Math.min(ZERO_CHUNK, size - at);
                    zeros.clear().limit(n);
                    Positional.writeFully(ch, zeros, at);
                    at += n;
                }
            }
            ch.force(false);
        }
    }
}
