package org.qimg.format.raw;

import java.io.Closeable;
import java.nio.file.Path;

/**
 * Data/hole runs of a host file, answered the way QEMU's file protocol driver answers a block-status
 * query (SEEK_DATA, then SEEK_HOLE): for a format layer that asks "is what I stored at host offset X
 * really there?". Safe for concurrent use (lseek with SEEK_DATA/SEEK_HOLE does not move a shared
 * position that matters here: every query passes its own offset).
 */
public final class HostBlockStatus implements Closeable {
    /**
     * One answer: {@code length} bytes from the queried offset are data ({@code zero = false}) or a hole.
     * {@code length} is at most the queried length, and &gt; 0.
     */
    public record Run(boolean zero, long length) {
    }

    private final int fd;
    private volatile boolean seekWorks;

    private HostBlockStatus(int fd) {
        this.fd = fd;
        this.seekWorks = fd >= 0;
    }

    /** Opens a descriptor for hole queries on {@code path}; without hole support every answer is data. */
    public static HostBlockStatus open(Path path) {
        return new HostBlockStatus(HostFiles.openForSeek(path));
    }

    /**
     * The run at {@code offset} (which must lie before {@code fileSize}, the size the caller sees), at
     * most {@code bytes} long: in data up to the next hole, in a hole up to the next data; a hole with no
     * data after it (a trailing hole) covers all {@code bytes}. Where the file system cannot say, data.
     */
    public Run at(long offset, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("query length must be positive: " + bytes);
        }
        if (!seekWorks) {
            return new Run(false, bytes);
        }
        long data = HostFiles.seek(fd, offset, HostFiles.SEEK_DATA);
        if (data == Long.MAX_VALUE) {
            return new Run(true, bytes); // ENXIO: a trailing hole (or past the end of the file)
        }
        if (data < offset) {
            return new Run(false, bytes); // no answer: pretend there are no holes
        }
        if (data > offset) {
            return new Run(true, Math.min(bytes, data - offset));
        }
        long hole = HostFiles.seek(fd, offset, HostFiles.SEEK_HOLE);
        if (hole == Long.MAX_VALUE || hole <= offset) {
            return new Run(false, bytes); // truncated or changed under us: data, as QEMU assumes
        }
        return new Run(false, Math.min(bytes, hole - offset));
    }

    @Override
    public void close() {
        seekWorks = false;
        HostFiles.close(fd);
    }
}
