package org.qimg.format.qcow2.check;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLockException;
import org.qimg.format.OpenOptions;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * QEMU's image locks for the duration of a check, taken as {@code qemu-img check} takes them: the image
 * itself (read, or read-write to repair), its external data file, and its backing chain read-only. Only lock
 * conflicts of the backing chain are errors: check never reads the backing files, so a backing file that
 * cannot be opened for another reason is left alone, as before.
 */
final class CheckLocks implements Closeable {
    private final Path path;
    private final LockPerms perms;
    private final boolean force;
    private final Deque<Closeable> held = new ArrayDeque<>();

    private CheckLocks(Path path, LockPerms perms, boolean force) {
        this.path = path;
        this.perms = perms;
        this.force = force;
    }

    /** Locks the qcow2 file for a check asking {@code perms}, sharing everything with {@code force} (-U). */
    static CheckLocks image(Path path, LockPerms perms, boolean force) throws ImageException {
        CheckLocks locks = new CheckLocks(path, perms, force);
        locks.held.push(ImageLock.acquire(path, perms.qcow2File(force)));
        return locks;
    }

    /** Locks the external data file {@code data}. */
    void dataFile(Path data) throws ImageException {
        held.push(ImageLock.acquire(data, perms.qcow2DataFile(force)));
    }

    /** Opens and holds the backing chain read-only, if the image has one; fails only on a lock conflict. */
    void backingChain() throws IOException {
        Qcow2Header h;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            h = Qcow2Header.read(ch, path);
        } catch (IOException e) {
            return; // the check itself reports what is wrong with the header
        }
        if (h.backingFile() == null) {
            return;
        }
        Path backing;
        try {
            Path name = Path.of(h.backingFile());
            Path dir = path.getParent();
            backing = name.isAbsolute() || dir == null ? name : dir.resolve(name);
            OpenOptions options = OpenOptions.DEFAULT.forceShare(force).below(path.toRealPath());
            held.push(ImageFormats.open(backing, h.extensions().backingFormat(), options));
        } catch (ImageLockException e) {
            String reason = "Could not open backing file: " + e.reason();
            ImageLockException up = new ImageLockException("Could not open '" + path + "': " + reason, reason,
                    e.lockedFile());
            up.initCause(e);
            throw up;
        } catch (IOException | RuntimeException e) {
            // not this command's business: check reads no backing data
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        while (!held.isEmpty()) {
            try {
                held.pop().close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
