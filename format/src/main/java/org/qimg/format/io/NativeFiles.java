package org.qimg.format.io;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few POSIX calls Java does not offer: {@code lseek(SEEK_DATA/SEEK_HOLE)} to find holes without reading,
 * {@code st_blocks} for the allocated size, {@code isatty}. Everything degrades gracefully when libc cannot be
 * loaded (non-Linux): the whole file is reported as data and the allocated size is the file length.
 */
public final class NativeFiles {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;
    /** Offset of st_blocks in struct stat on Linux x86_64 and aarch64 (both 64). */
    private static final int ST_BLOCKS_OFFSET = 64;

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int isatty(int fd);

        int stat(String path, Memory buf) throws LastErrorException;
    }

    private static final LibC LIBC = load();

    private NativeFiles() {
    }

    private static LibC load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Native.load("c", LibC.class);
        } catch (Throwable t) {
            return null;
        }
    }

    /** True when file descriptor {@code fd} (0 stdin, 1 stdout, 2 stderr) is a terminal. */
    public static boolean isTerminal(int fd) {
        try {
            return LIBC != null && LIBC.isatty(fd) == 1;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Bytes the file occupies on disk ({@code st_blocks * 512}); the file length where that is unknown. */
    public static long allocatedBytes(Path path) throws IOException {
        if (LIBC != null) {
            try (Memory buf = new Memory(256)) {
                buf.clear();
                if (LIBC.stat(path.toString(), buf) == 0) {
                    return Math.multiplyExact(buf.getLong(ST_BLOCKS_OFFSET), 512L);
                }
            } catch (LastErrorException | UnsatisfiedLinkError e) {
                // fall through to the portable answer
            }
        }
        return Files.size(path);
    }

    /**
     * Opens {@code path} for hole queries. The returned map must be closed; it never reads data.
     * Safe to use from many threads: {@code lseek} returns its answer and the shared file position is unused.
     */
    public static HoleMap holeMap(Path path) {
        if (LIBC != null) {
            try {
                int fd = LIBC.open(path.toString(), O_RDONLY | O_CLOEXEC);
                return new HoleMap(fd);
            } catch (LastErrorException | UnsatisfiedLinkError e) {
                // fall through
            }
        }
        return new HoleMap(-1);
    }

    /** Where data and holes are in one file, from {@code lseek(SEEK_DATA/SEEK_HOLE)}. */
    public static final class HoleMap implements Closeable {
        private final int fd;

        private HoleMap(int fd) {
            this.fd = fd;
        }

        /**
         * Length of the run starting at {@code offset} (at most {@code max}) and whether it is data.
         * Offsets at or past {@code fileLength} are a hole. Without hole support everything is data.
         *
         * @return {@code [runLength, isData ? 1 : 0]}
         */
        public long[] runAt(long offset, long max, long fileLength) throws IOException {
            if (offset >= fileLength) {
                return new long[] {max, 0};
            }
            long inFile = Math.min(max, fileLength - offset);
            if (fd < 0) {
                return new long[] {inFile, 1};
            }
            try {
                long data = LIBC.lseek(fd, offset, SEEK_DATA);
                if (data > offset) {
                    return new long[] {Math.min(max, data - offset), 0};
                }
                long hole = LIBC.lseek(fd, offset, SEEK_HOLE);
                return new long[] {Math.max(1, Math.min(inFile, hole - offset)), 1};
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ENXIO) {
                    return new long[] {max, 0};
                }
                return new long[] {inFile, 1};
            }
        }

        @Override
        public void close() {
            if (fd >= 0) {
                try {
                    LIBC.close(fd);
                } catch (LastErrorException e) {
                    // nothing useful to do
                }
            }
        }
    }
}
