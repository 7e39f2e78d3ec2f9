package org.qimg.converters.convert;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few libc calls that replacing a file safely needs and Java's file API lacks: unnamed temporary files
 * ({@code O_TMPFILE}) and linking them into place, {@code flock}, {@code fchown}/{@code fchmod}, and every
 * extended attribute (Java's {@code UserDefinedFileAttributeView} sees only {@code user.*}; ACLs live in
 * {@code system.posix_acl_*}, SELinux labels in {@code security.selinux}). Linux only (x86-64 and AArch64
 * flag values) with /proc mounted: {@link #available()} is false elsewhere and callers fall back to plain
 * Java.
 *
 * <p>Every failing call throws {@link NativeError}, which carries errno and its text.
 */
final class HostFileOps {
    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ERANGE = 34;
    /** No such attribute (removed between list and get). */
    static final int ENODATA = 61;
    static final int EWOULDBLOCK = 11;
    static final int EOPNOTSUPP = 95;

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_CLOEXEC = 02000000;
    private static final int O_NOFOLLOW = Platform.isARM() ? 0100000 : 0400000;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_FOLLOW = 0x400;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;

    interface LibC extends Library {
        int open(String path, int flags, int mode) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int flock(int fd, int operation) throws LastErrorException;

        int fchown(int fd, int uid, int gid) throws LastErrorException;

        int fchmod(int fd, int mode) throws LastErrorException;

        int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;

        long listxattr(String path, byte[] list, long size) throws LastErrorException;

        long getxattr(String path, String name, byte[] value, long size) throws LastErrorException;

        long flistxattr(int fd, byte[] list, long size) throws LastErrorException;

        long fgetxattr(int fd, String name, byte[] value, long size) throws LastErrorException;

        int fsetxattr(int fd, String name, byte[] value, long size, int flags) throws LastErrorException;

        int fremovexattr(int fd, String name) throws LastErrorException;

        String strerror(int errnum);
    }

    /** A failed libc call: {@link #errno()} and the system's text for it ("Permission denied"). */
    static final class NativeError extends Exception {
        private static final long serialVersionUID = 1L;
        private final int errno;

        NativeError(int errno, String text) {
            super(text);
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }

    private static final LibC LIBC = load();

    private HostFileOps() {
    }

    private static LibC load() {
        try {
            if (!Platform.isLinux() || !(Platform.isIntel() || Platform.isARM()) || !Platform.is64Bit()
                    || Boolean.getBoolean("qimg.hostfileops.off")) {
                return null;
            }
            return Native.load("c", LibC.class);
        } catch (Throwable t) {
            return null;
        }
    }

    private static final boolean PROC_FD = java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self/fd"));

    /** Whether these calls work here: libc through JNA, and /proc/self/fd to reopen and link descriptors. */
    static boolean available() {
        return LIBC != null && PROC_FD;
    }

    private static NativeError error(LastErrorException e) {
        int errno = e.getErrorCode();
        String text;
        try {
            text = LIBC.strerror(errno);
        } catch (RuntimeException | UnsatisfiedLinkError x) {
            text = "errno " + errno;
        }
        return new NativeError(errno, text);
    }

    /** An unnamed regular file in {@code dir}, open read-write ({@code O_TMPFILE}); {@code mode} before umask. */
    static int openUnnamed(String dir, int mode) throws NativeError {
        try {
            return org.qimg.format.io.UnnamedFiles.openDescriptor(dir, mode);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    /** Creates {@code path} exclusively, open read-write, {@code mode} before umask. */
    static int createExclusive(String path, int mode) throws NativeError {
        try {
            return LIBC.open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, mode);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    static int openReadOnly(String path) throws NativeError {
        try {
            return LIBC.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    static void close(int fd) {
        if (fd >= 0) {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // the descriptor is gone either way
            }
        }
    }

    /**
     * Takes an exclusive {@code flock} without waiting; false if another open file description holds it. The
     * lock belongs to this descriptor's open file description: closing other descriptors of the same file
     * (unlike POSIX record locks) does not drop it, and it dies with the process.
     */
    static boolean tryLock(int fd) throws NativeError {
        try {
            LIBC.flock(fd, LOCK_EX | LOCK_NB);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EWOULDBLOCK) {
                return false;
            }
            throw error(e);
        }
    }

    static void fchown(int fd, int uid, int gid) throws NativeError {
        try {
            LIBC.fchown(fd, uid, gid);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    static void fchmod(int fd, int mode) throws NativeError {
        try {
            LIBC.fchmod(fd, mode);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    /** Gives the file open as {@code fd} (even an unnamed one) the name {@code path}, through /proc/self/fd. */
    static void linkInto(int fd, String path) throws NativeError {
        try {
            LIBC.linkat(AT_FDCWD, procPath(fd), AT_FDCWD, path, AT_SYMLINK_FOLLOW);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    static String procPath(int fd) {
        return "/proc/self/fd/" + fd;
    }

    /** Names of all extended attributes of {@code path} (following symlinks) that this process may see. */
    static List<String> listXattrs(String path) throws NativeError {
        for (int attempt = 0; ; attempt++) {
            try {
                long n = LIBC.listxattr(path, null, 0);
                byte[] buf = new byte[(int) Math.max(n, 1)];
                n = LIBC.listxattr(path, buf, buf.length);
                return names(buf, (int) n);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ERANGE && attempt < 5) {
                    continue; // the list grew between the two calls
                }
                if (e.getErrorCode() == EOPNOTSUPP) {
                    return List.of();
                }
                throw error(e);
            }
        }
    }

    static List<String> listXattrs(int fd) throws NativeError {
        for (int attempt = 0; ; attempt++) {
            try {
                long n = LIBC.flistxattr(fd, null, 0);
                byte[] buf = new byte[(int) Math.max(n, 1)];
                n = LIBC.flistxattr(fd, buf, buf.length);
                return names(buf, (int) n);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ERANGE && attempt < 5) {
                    continue;
                }
                if (e.getErrorCode() == EOPNOTSUPP) {
                    return List.of();
                }
                throw error(e);
            }
        }
    }

    private static List<String> names(byte[] buf, int n) {
        List<String> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == 0) {
                if (i > start) {
                    names.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return names;
    }

    static byte[] getXattr(String path, String name) throws NativeError {
        for (int attempt = 0; ; attempt++) {
            try {
                long n = LIBC.getxattr(path, name, null, 0);
                byte[] value = new byte[(int) n];
                n = LIBC.getxattr(path, name, value.length == 0 ? null : value, value.length);
                return n == value.length ? value : java.util.Arrays.copyOf(value, (int) n);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ERANGE && attempt < 5) {
                    continue;
                }
                throw error(e);
            }
        }
    }

    /** The value of {@code name} on {@code fd}, or null if it has none or it cannot be read. */
    static byte[] getXattrOrNull(int fd, String name) {
        try {
            long n = LIBC.fgetxattr(fd, name, null, 0);
            byte[] value = new byte[(int) n];
            n = LIBC.fgetxattr(fd, name, value.length == 0 ? null : value, value.length);
            return n == value.length ? value : null;
        } catch (LastErrorException e) {
            return null;
        }
    }

    static void setXattr(int fd, String name, byte[] value) throws NativeError {
        try {
            LIBC.fsetxattr(fd, name, value, value.length, 0);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }

    static void removeXattr(int fd, String name) throws NativeError {
        try {
            LIBC.fremovexattr(fd, name);
        } catch (LastErrorException e) {
            throw error(e);
        }
    }
}
