package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.qimg.converters.convert.HostFileOps.NativeError;

/**
 * The temporary file a replacement is written to, in the destination's directory (so the final rename is
 * atomic). Where the file system supports it, the file has no name while it is written ({@code O_TMPFILE}):
 * a process killed then leaves nothing behind. {@link #name()} links it to a hidden name
 * ({@code .DST.qimg-RANDOM.tmp}) just before the rename. Elsewhere the file has that hidden name from the
 * start.
 *
 * <p>Either way the file is {@code flock}ed from creation until it is closed, so a hidden file whose lock
 * can be taken belongs to a dead process: {@link #removeStale} deletes those for a destination before a new
 * one is created. (A named file is unlocked for a moment after its creation; its creator checks after
 * locking that the name is still its own and otherwise starts again.) Only the descriptor opened here holds
 * the lock; other descriptors of the file (O_DIRECT, writeback, the verifier) may come and go.
 *
 * <p>Without {@link HostFileOps#available()}, {@link #createPortable} gives a plain named file.
 */
final class TempFile implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Set to true, a named temporary file is used even where unnamed ones work: the path taken on file systems
     * without {@code O_TMPFILE} (e.g. NFS, vfat), for tests.
     */
    static final String NAMED_PROPERTY = org.qimg.format.io.UnnamedFiles.NAMED_PROPERTY;

    private final Path dir;
    private final String destinationName;
    private final int fd;
    private final Path portablePath;
    private volatile Path name;

    private TempFile(Path dir, String destinationName, int fd, Path name) {
        this.dir = dir;
        this.destinationName = destinationName;
        this.fd = fd;
        this.name = name;
        this.portablePath = fd < 0 ? name : null;
    }

    /**
     * Without libc through JNA (not Linux): a named file created through Java, mode 0600 where the file
     * system has POSIX permissions; not locked, so what a SIGKILL leaves is not recognised later.
     */
    static TempFile createPortable(Path dir, String destinationName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(hiddenName(destinationName));
            try {
                if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
                    Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } else {
                    Files.createFile(p);
                }
                return new TempFile(dir, destinationName, -1, p);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            }
        }
    }

    /** Whether libc calls on {@link #fd()} are possible (false for a {@link #createPortable} file). */
    boolean hasDescriptor() {
        return fd >= 0;
    }

    void setOwner(int uid, int gid) throws IOException {
        if (fd >= 0) {
            try {
                HostFileOps.fchown(fd, uid, gid);
            } catch (NativeError e) {
                throw new IOException(e.getMessage());
            }
        } else {
            Files.setAttribute(portablePath, "unix:uid", uid);
            Files.setAttribute(portablePath, "unix:gid", gid);
        }
    }

    void setMode(int mode) throws IOException {
        try {
            if (fd >= 0) {
                HostFileOps.fchmod(fd, mode);
            } else {
                Files.setAttribute(portablePath, "unix:mode", mode);
            }
        } catch (NativeError | IOException e) {
            throw new IOException("cannot set mode " + Integer.toOctalString(mode) + ": " + e.getMessage());
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // no POSIX modes on this file system
        }
    }

    /**
     * Creates the file in {@code dir} with {@code mode} (before umask) and locks it. {@code destinationName}
     * only names the hidden file.
     *
     * @throws NativeError when neither an unnamed nor a named file can be created there
     */
    static TempFile create(Path dir, String destinationName, int mode) throws NativeError {
        int fd = -1;
        try {
            if (Boolean.getBoolean(NAMED_PROPERTY)) {
                throw new NativeError(HostFileOps.EOPNOTSUPP, NAMED_PROPERTY);
            }
            fd = HostFileOps.openUnnamed(dir.toString(), mode);
            if (!Files.isReadable(Path.of(HostFileOps.procPath(fd)))) {
                throw new NativeError(HostFileOps.EOPNOTSUPP, "no /proc/self/fd"); // needed to reopen and to link
            }
            return locked(new TempFile(dir, destinationName, fd, null));
        } catch (NativeError e) {
            HostFileOps.close(fd);
            int errno = e.errno();
            if (errno != HostFileOps.EOPNOTSUPP && errno != HostFileOps.EISDIR && errno != HostFileOps.EINVAL) {
                throw e;
            }
        }
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve(hiddenName(destinationName));
            try {
                TempFile t = locked(new TempFile(dir, destinationName, HostFileOps.createExclusive(p.toString(), mode), p));
                if (stillNamed(t)) {
                    return t;
                }
                t.close(); // another run took it for stale between our create and flock: start again
            } catch (NativeError e) {
                if (e.errno() != HostFileOps.EEXIST || attempt > 10) {
                    throw e;
                }
            }
            if (attempt > 10) {
                throw new NativeError(HostFileOps.EEXIST, "temporary files keep disappearing");
            }
        }
    }

    /** Whether the hidden name still leads to the file this descriptor has open (and locked). */
    private static boolean stillNamed(TempFile t) {
        try {
            Object byName = Files.readAttributes(t.name, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            Object byFd = Files.readAttributes(t.openPath(), BasicFileAttributes.class).fileKey();
            return byName != null && byName.equals(byFd);
        } catch (IOException e) {
            return false;
        }
    }

    private static TempFile locked(TempFile t) throws NativeError {
        try {
            HostFileOps.tryLock(t.fd);
            return t;
        } catch (NativeError e) {
            t.close();
            throw e;
        }
    }

    private static String hiddenName(String destinationName) {
        byte[] r = new byte[6];
        RANDOM.nextBytes(r);
        return "." + destinationName + ".qimg-" + HexFormat.of().formatHex(r) + ".tmp";
    }

    int fd() {
        return fd;
    }

    /** A path that opens this file whether or not it has a name yet: /proc/self/fd/N. */
    Path openPath() {
        return fd < 0 ? portablePath : Path.of(HostFileOps.procPath(fd));
    }

    /** A new channel on the file (its own descriptor, read-write). */
    FileChannel openChannel() throws IOException {
        return FileChannel.open(openPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** The file's hidden name in the destination's directory, linking it there first if it has none. */
    Path name() throws NativeError {
        for (int attempt = 0; name == null; attempt++) {
            Path p = dir.resolve(hiddenName(destinationName));
            try {
                HostFileOps.linkInto(fd, p.toString());
                name = p;
            } catch (NativeError e) {
                if (e.errno() != HostFileOps.EEXIST || attempt > 10) {
                    throw e;
                }
            }
        }
        return name;
    }

    /** Forgets the name: it now belongs to the destination (after the rename). */
    void renamed() {
        name = null;
    }

    /** Removes the hidden name, if any (the data goes when the last descriptor closes). */
    void deleteName() {
        Path n = name;
        if (n != null) {
            try {
                Files.deleteIfExists(n);
            } catch (IOException e) {
                // nothing left to do
            }
            name = null;
        }
    }

    /** Closes the locked descriptor (dropping the lock); does not delete. */
    @Override
    public void close() {
        HostFileOps.close(fd);
    }

    /**
     * Deletes hidden temporary files of {@code destinationName} in {@code dir} whose lock can be taken: their
     * process died (SIGKILL, power loss) before it could remove them. Best effort, never throws.
     */
    static int removeStale(Path dir, String destinationName) {
        Pattern own = Pattern.compile(Pattern.quote("." + destinationName + ".qimg-") + "[0-9a-f]{12}\\.tmp");
        int removed = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "." + glob(destinationName) + ".qimg-*.tmp")) {
            for (Path p : s) {
                if (own.matcher(p.getFileName().toString()).matches() && removeIfStale(p)) {
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable directory: nothing to clean here
        }
        return removed;
    }

    private static String glob(String name) {
        return name.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }

    private static boolean removeIfStale(Path p) {
        int fd = -1;
        try {
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            fd = HostFileOps.openReadOnly(p.toString());
            if (!HostFileOps.tryLock(fd)) {
                return false; // a live qimg is writing it
            }
            Files.deleteIfExists(p);
            return true;
        } catch (IOException | NativeError | RuntimeException e) {
            return false;
        } finally {
            HostFileOps.close(fd);
        }
    }
}
