package org.qimg.format.io;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.file.Path;

/**
 * Gives byte ranges of a file back to the file system ({@code fallocate} with
 * {@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE}), as QEMU's discard of freed qcow2 clusters does: the
 * range then reads as zeros and takes no space. Best effort, as QEMU's: where the call is unavailable or
 * refused, nothing happens.
 */
public final class FileHoles {
    private static final int O_WRONLY = 1;
    private static final int PUNCH_HOLE_KEEP_SIZE = 0x02 | 0x01;

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final LibC LIBC = load();

    private FileHoles() {
    }

    private static LibC load() {
        try {
            return Platform.isLinux() ? Native.load("c", LibC.class) : null;
        } catch (Throwable t) {
            return null;
        }
    }

    /** Punches holes at {@code ranges} (pairs of offset and length) of {@code path}; false if nothing could be. */
    public static boolean punch(Path path, long[][] ranges) {
        if (LIBC == null || ranges.length == 0) {
            return false;
        }
        int fd;
        try {
            fd = LIBC.open(path.toString(), O_WRONLY);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false;
        }
        try {
            for (long[] r : ranges) {
                LIBC.fallocate(fd, PUNCH_HOLE_KEEP_SIZE, r[0], r[1]);
            }
            return true;
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false;
        } finally {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // nothing was written through this descriptor
            }
        }
    }
}
