package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageInfo;

/** An in-memory image for pipeline tests: data where bytes were put, declared zero runs, unallocated rest. */
final class MemoryImage implements DiskImage {
    final byte[] bytes;
    /** start -> end of ranges with a status; absent = unallocated. */
    final TreeMap<Long, long[]> status = new TreeMap<>();
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    volatile long failAt = -1;
    private final Path path;
    private final DiskImage backing;

    MemoryImage(Path path, int size, DiskImage backing) {
        this.path = path;
        this.bytes = new byte[size];
        this.backing = backing;
    }

    MemoryImage data(int off, byte[] b) {
        System.arraycopy(b, 0, bytes, off, b.length);
        status.put((long) off, new long[] {off + b.length, 0});
        return this;
    }

    MemoryImage zero(int off, int len) {
        status.put((long) off, new long[] {off + len, 1});
        return this;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String formatName() {
        return "memory";
    }

    @Override
    public long virtualSize() {
        return bytes.length;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int len = dst.remaining();
        if (failAt >= 0 && offset <= failAt && failAt < offset + len) {
            throw new ImageException(path + ": offset " + failAt + ": simulated read failure");
        }
        reads.incrementAndGet();
        bytesRead.addAndGet(len);
        for (int i = 0; i < len; i++) {
            long p = offset + i;
            var e = status.floorEntry(p);
            boolean mine = e != null && p < e.getValue()[0];
            if (mine) {
                dst.put(e.getValue()[1] == 1 ? 0 : bytes[(int) p]);
            } else if (backing != null) {
                ByteBuffer one = ByteBuffer.allocate(1);
                backing.read(p, one);
                dst.put(one.get(0));
            } else {
                dst.put((byte) 0);
            }
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        var e = status.floorEntry(offset);
        if (e != null && offset < e.getValue()[0]) {
            long len = Math.min(maxLength, e.getValue()[0] - offset);
            return new Extent(offset, len, e.getValue()[1] == 1 ? Extent.Status.ZERO : Extent.Status.DATA,
                    e.getValue()[1] == 1 ? -1 : offset, false);
        }
        Long next = status.ceilingKey(offset);
        long end = next == null ? bytes.length : next;
        return new Extent(offset, Math.min(maxLength, end - offset), Extent.Status.UNALLOCATED, -1, false);
    }

    @Override
    public Optional<DiskImage> backing() {
        return Optional.ofNullable(backing);
    }

    @Override
    public ImageInfo info() {
        return new ImageInfo("memory", bytes.length, null, false, null, null, null, null, null);
    }

    @Override
    public long actualSize() {
        return bytes.length;
    }

    @Override
    public void close() {
    }
}
