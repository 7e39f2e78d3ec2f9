package org.qimg.format.io;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Files with no name: {@code open(dir, O_TMPFILE)} on Linux, a regular file that no directory lists and that
 * the kernel frees when its last descriptor closes, so that a process killed by any signal (SIGKILL too)
 * leaves nothing behind. Used for the temporary file a convert writes before it gives it its name, and for the
 * temporary decompressed copy of a compressed image.
 *
 * <p>Linux only (x86-64 and AArch64 flag values), through libc by JNA; elsewhere, and on file systems
 * without {@code O_TMPFILE} (NFS, vfat), {@link #create} falls back to a named file removed right after it
 * is opened.
 */
public final class UnnamedFiles {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 02000000;
    private static final int O_DIRECTORY = Platform.isARM() ? 040000 : 0200000;
    private static final int O_TMPFILE = 020000000 | O_DIRECTORY;
    private static final int EOPNOTSUPP = 95;

    interface LibC extends Library {
        int open(String path, int flags, int mode) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final LibC LIBC = load();
    /**
     * Set to true, {@link #create} makes the named file even where unnamed ones work: the path taken on file
     * systems without {@code O_TMPFILE}, for tests (the same switch as a convert's temporary file).
     */
    public static final String NAMED_PROPERTY = "qimg.tempfile.named";

    private UnnamedFiles() {
    }

    private static LibC load() {
        try {
            if (!Platform.isLinux() || !(Platform.isIntel() || Platform.isARM()) || !Platform.is64Bit()) {
                return null;
            }
            return Native.load("c", LibC.class);
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * A descriptor of a new unnamed regular file in {@code dir}, open read-write and close-on-exec;
     * {@code mode} is applied before the umask.
     *
     * @throws LastErrorException with the errno of the failure (EOPNOTSUPP, EISDIR or EINVAL: the file system
     *                            or kernel has no O_TMPFILE; EOPNOTSUPP also when libc cannot be reached)
     */
    public static int openDescriptor(String dir, int mode) {
        if (LIBC == null) {
            throw new LastErrorException(EOPNOTSUPP);
        }
        return LIBC.open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    }

    /**
     * A read-write channel on a new file in {@code dir} that has no name: unnamed from the start where the
     * system allows, else created as {@code PREFIX-RANDOM.tmp} (mode 0600) and removed as soon as it is open.
     */
    public static FileChannel create(Path dir, String prefix) throws IOException {
        if (LIBC != null && Files.isDirectory(Path.of("/proc/self/fd")) && !Boolean.getBoolean(NAMED_PROPERTY)) {
            int fd = -1;
            try {
                fd = openDescriptor(dir.toString(), 0600);
                // a channel of our own on the same open file, then the JNA descriptor goes
                return FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } catch (LastErrorException e) {
                // no O_TMPFILE here: a named file, removed at once
            } finally {
                if (fd >= 0) {
                    try {
                        LIBC.close(fd);
                    } catch (LastErrorException e) {
                        // the channel holds its own descriptor
                    }
                }
            }
        }
        Path p = Files.createTempFile(dir, prefix, ".tmp");
        try {
            return FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
