package org.qimg.format.io;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.nio.file.Path;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLockException;

/**
 * QEMU's image locks on one image file, held until {@link #close()}: open file description (OFD) byte-range
 * locks ({@code fcntl F_OFD_SETLK/F_OFD_GETLK}) on a descriptor of the file that this object opens and owns,
 * laid out as {@link LockPerms} describes, so that qimg, qemu-img, qemu-io and a running QEMU see each other.
 *
 * <p>Like QEMU's {@code locking=auto}, nothing is locked where OFD locks do not exist (not Linux, no JNA, or a
 * kernel that answers EINVAL). Unlike QEMU, which then fails the open ("Failed to lock byte 100: No locks
 * available") and needs {@code file.locking=off}, a file system that refuses locks on this file (ENOLCK,
 * EOPNOTSUPP, ENOSYS) is opened without them: qimg has no option to turn locking off.
 *
 * <p>Not thread-safe; one owner opens, changes and closes it.
 */
public final class ImageLock implements Closeable {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;
    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final short F_RDLCK = 0;
    private static final short F_WRLCK = 1;
    private static final short F_UNLCK = 2;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EACCES = 13;
    private static final int EINVAL = 22;
    private static final int ENOLCK = 37;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;
    /** {@code struct flock} on 64-bit Linux: l_type (short) at 0, l_whence at 2, l_start at 8, l_len at 16. */
    private static final int FLOCK_SIZE = 32;
    private static final ImageLock NO_LOCK = new ImageLock(null, -1, LockPerms.NONE);

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int fcntl(int fd, int cmd, Pointer flock) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        String strerror(int errnum);
    }

    private static final LibC LIBC = load();

    private final String file;
    private int fd;
    private LockPerms held;
    /** Bytes locked by this descriptor (bit b - 100 for 100..103, bit b - 200 + 4 for 200..203). */
    private int lockedMask;

    private ImageLock(String file, int fd, LockPerms held) {
        this.file = file;
        this.fd = fd;
        this.held = held;
    }

    private static LibC load() {
        try {
            if (!Platform.isLinux() || !Platform.is64Bit()) {
                return null;
            }
            return Native.load("c", LibC.class);
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Takes {@code perms} on {@code path}, or fails as qemu-img does: {@code Could not open 'F': Failed to get
     * "write" lock} with the hint {@code Is another process using the image [F]?}, F being {@code path} as given.
     * Empty perms ({@code -U} where nothing is read) take nothing and open nothing.
     */
    public static ImageLock acquire(Path path, LockPerms perms) throws ImageException {
        if (perms.isEmpty() || LIBC == null) {
            return NO_LOCK;
        }
        String name = path.toString();
        int fd;
        try {
            fd = LIBC.open(name, O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            // the caller's own open reports a missing or unreadable file in its words
            return NO_LOCK;
        }
        ImageLock lock = new ImageLock(name, fd, LockPerms.NONE);
        try {
            lock.change(perms);
            return lock;
        } catch (ImageException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The permissions held now. */
    public LockPerms perms() {
        return held;
    }

    /**
     * Moves to {@code perms} as QEMU changes permissions: locks the bytes of both the old and the new
     * permissions, probes for conflicts with the new ones, then drops the bytes only the old ones needed. On a
     * conflict the old permissions stay as they were and the error is thrown.
     */
    public void change(LockPerms perms) throws ImageException {
        if (fd < 0) {
            return;
        }
        LockPerms union = new LockPerms(held.perm() | perms.perm(), held.shared() & perms.shared());
        try {
            for (int b : union.lockedBytes()) {
                if ((lockedMask & bit(b)) == 0) {
                    setLock(b, F_RDLCK);
                    lockedMask |= bit(b);
                }
            }
            for (LockPerms.Probe p : perms.probes()) {
                if (heldByOthers(p)) {
                    throw new ImageLockException("Could not open '" + file + "': " + p.failure(), p.failure(), file);
                }
            }
        } catch (Unsupported e) {
            // this file system keeps no locks for this file: go on without any
            closeFd();
            return;
        } catch (ImageException e) {
            unlockAllBut(held);
            throw e;
        }
        unlockAllBut(perms);
        held = perms;
    }

    private static int bit(int offset) {
        return offset >= LockPerms.SHARED_BASE ? 1 << (offset - LockPerms.SHARED_BASE + 4)
                : 1 << (offset - LockPerms.PERM_BASE);
    }

    private void unlockAllBut(LockPerms keep) {
        int keepMask = 0;
        for (int b : keep.lockedBytes()) {
            keepMask |= bit(b);
        }
        for (int i = 0; i < 8; i++) {
            int b = i < 4 ? LockPerms.PERM_BASE + i : LockPerms.SHARED_BASE + i - 4;
            if ((lockedMask & 1 << i) != 0 && (keepMask & 1 << i) == 0) {
                try {
                    setLock(b, F_UNLCK);
                } catch (ImageException | Unsupported e) {
                    // unlocking cannot conflict; the locks go with the descriptor at close anyway
                }
                lockedMask &= ~(1 << i);
            }
        }
    }

    private void setLock(int offset, short type) throws ImageException, Unsupported {
        try (Memory fl = flock(offset, type)) {
            fcntl(F_OFD_SETLK, fl);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == EAGAIN || errno == EACCES) {
                // QEMU gives no hint for this one: only its probes suggest another process
                throw new ImageLockException("Could not open '" + file + "': Failed to lock byte " + offset,
                        "Failed to lock byte " + offset, null);
            }
            throw failure(errno, "Failed to lock byte " + offset, null);
        }
    }

    /** An exclusive-lock probe of the probe's byte: true when another open file description holds it. */
    private boolean heldByOthers(LockPerms.Probe p) throws ImageException, Unsupported {
        try (Memory fl = flock(p.offset(), F_WRLCK)) {
            fcntl(F_OFD_GETLK, fl);
            return fl.getShort(0) != F_UNLCK;
        } catch (LastErrorException e) {
            throw failure(e.getErrorCode(), p.failure(), file);
        }
    }

    private void fcntl(int cmd, Memory fl) {
        for (int tries = 0; ; tries++) {
            try {
                LIBC.fcntl(fd, cmd, fl);
                return;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR || tries > 100) {
                    throw e;
                }
            }
        }
    }

    private ImageException failure(int errno, String what, String hintFile) throws Unsupported {
        if (errno == EINVAL || errno == ENOLCK || errno == ENOSYS || errno == EOPNOTSUPP) {
            throw new Unsupported();
        }
        String reason = what + ": " + LIBC.strerror(errno);
        return new ImageLockException("Could not open '" + file + "': " + reason, reason, hintFile);
    }

    private static Memory flock(int offset, short type) {
        Memory fl = new Memory(FLOCK_SIZE);
        fl.clear();
        fl.setShort(0, type);
        fl.setShort(2, (short) 0); // SEEK_SET
        fl.setLong(8, offset);
        fl.setLong(16, 1);
        return fl;
    }

    /** Releases the locks (closing the descriptor drops every OFD lock it holds). Idempotent. */
    @Override
    public void close() {
        closeFd();
    }

    private void closeFd() {
        if (fd >= 0) {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // a read-only descriptor: nothing was buffered, and the kernel dropped the locks anyway
            }
            fd = -1;
            lockedMask = 0;
            held = LockPerms.NONE;
        }
    }

    /** The file system (or kernel) keeps no OFD locks for this file. */
    private static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported() {
            super(null, null, false, false);
        }
    }
}
