package org.qimg.format.raw;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host file facts and operations Java's file API does not give: allocated blocks ({@code st_blocks}),
 * data/hole boundaries ({@code lseek} with SEEK_DATA / SEEK_HOLE), preallocation ({@code posix_fallocate})
 * and hole punching ({@code fallocate}), through libc via JNA: the one libc binding of {@code format}. Every
 * entry point has a fallback for platforms where the native call is unavailable, documented on the method.
 */
public final class HostFiles {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int ENXIO = 6;
    /** {@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE}. */
    private static final int PUNCH_HOLE_KEEP_SIZE = 0x02 | 0x01;

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int stat(String path, Memory buf) throws LastErrorException;

        /** Returns 0 or an error number (it does not set errno). */
        int posix_fallocate(int fd, long offset, long len);

        int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;
    }

    private static final LibC LIBC = load();

    private HostFiles() {
    }

    private static LibC load() {
        try {
            if (!Platform.isLinux()) {
                return null;
            }
            return Native.load("c", LibC.class);
        } catch (Throwable t) {
            return null;
        }
    }

    /** Does nothing but make sure this class, and with it JNA and libc, is initialised. */
    public static void preload() {
        // the class initialiser (LIBC) did the work
    }

    /**
     * Bytes allocated to {@code path} on disk ({@code st_blocks * 512}), as qemu-img's {@code actual-size}.
     * Uses glibc's {@code stat} on x86-64 and AArch64 Linux, where {@code st_blocks} is at byte 64 of
     * {@code struct stat} (checked against {@code st_size} at byte 48); elsewhere, or if the call fails, it
     * falls back to the file length, which over-counts sparse files.
     */
    public static long allocatedBytes(Path path) throws IOException {
        long size = Files.size(path);
        if (LIBC != null && (Platform.isIntel() || Platform.isARM()) && Platform.is64Bit()) {
            try (Memory st = new Memory(256)) {
                st.clear();
                if (LIBC.stat(path.toString(), st) == 0 && st.getLong(48) == size) {
                    return st.getLong(64) * 512;
                }
            } catch (LastErrorException | UnsatisfiedLinkError e) {
                // fall through
            }
        }
        return size;
    }

    /** An O_RDONLY descriptor for hole queries, or -1 when they are unavailable here. */
    static int openForSeek(Path path) {
        if (LIBC == null) {
            return -1;
        }
        try {
            return LIBC.open(path.toString(), O_RDONLY);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return -1;
        }
    }

    static void close(int fd) {
        if (fd >= 0) {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // nothing useful to do on close of a read-only descriptor
            }
        }
    }

    /**
     * {@code lseek(fd, offset, whence)}: the next data (SEEK_DATA) or hole (SEEK_HOLE) at or after offset;
     * {@code Long.MAX_VALUE} when there is no more data (ENXIO); -1 when the file system cannot answer.
     */
    static long seek(int fd, long offset, int whence) {
        try {
            return LIBC.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            return e.getErrorCode() == ENXIO ? Long.MAX_VALUE : -1;
        }
    }

    /**
     * Allocates {@code [offset, offset + len)} of {@code path} on disk ({@code posix_fallocate}, what QEMU's
     * {@code preallocation=falloc} does); the file grows to cover the range. False when the native call is
     * unavailable or fails, and the caller then writes zeros instead.
     */
    static boolean fallocate(Path path, long offset, long len) {
        if (LIBC == null) {
            return false;
        }
        int fd;
        try {
            fd = LIBC.open(path.toString(), O_WRONLY);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false;
        }
        try {
            return LIBC.posix_fallocate(fd, offset, len) == 0;
        } catch (UnsatisfiedLinkError e) {
            return false;
        } finally {
            close(fd);
        }
    }

    /**
     * Gives byte ranges of {@code path} back to the file system ({@code fallocate} with
     * {@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE}), as QEMU's discard of freed qcow2 clusters does: the
     * range then reads as zeros and takes no space. Best effort, as QEMU's: where the call is unavailable or
     * refused, nothing happens. {@code ranges} are pairs of offset and length; false if nothing could be
     * punched.
     */
    public static boolean punchHoles(Path path, long[][] ranges) {
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
            close(fd);
        }
    }
}
