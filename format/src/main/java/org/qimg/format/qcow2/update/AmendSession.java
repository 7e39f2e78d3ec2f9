package org.qimg.format.qcow2.update;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.SnapshotEntryHead;

/** One step of an amend: the image locked and open for writing, its header read afresh. */
final class AmendSession implements Closeable {
    private final ImageLock lock;
    private final RandomAccessFile raf;
    private final FileChannel ch;
    private final Path file;

    private AmendSession(ImageLock lock, RandomAccessFile raf, Path file) {
        this.lock = lock;
        this.raf = raf;
        this.file = file;
        this.ch = NamedChannel.wrap(raf.getChannel(), file);
    }

    /** Locks {@code path} as QEMU's read-write open does, and opens it. */
    static AmendSession open(Path path) throws IOException {
        ImageLock lock = ImageLock.acquire(path, Qcow2Snapshots.PERMS.qcow2File(false));
        try {
            return new AmendSession(lock, new RandomAccessFile(path.toFile(), "rw"), path);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    FileChannel channel() {
        return ch;
    }

    Path file() {
        return file;
    }

    /** The header as the file holds it now. */
    Qcow2Header header() throws IOException {
        return Qcow2Header.read(ch, file);
    }

    /**
     * The header fields an amend sets, as the file holds them now, with the autoclear bits qimg does not know
     * cleared (QEMU clears them when it opens an image for writing).
     */
    HeaderRewriter.Fields fields() throws IOException {
        HeaderRewriter.Fields f = new HeaderRewriter.Fields(header());
        f.autoclear &= HeaderLayout.AUTOCLEAR_KNOWN;
        return f;
    }

    /** The snapshot table's entries. */
    java.util.List<SnapshotTable.Entry> snapshots() throws IOException {
        Qcow2Header h = header();
        return SnapshotTable.read(ch, file, h.snapshotsOffset(), h.nbSnapshots()).entries();
    }

    /** Whether a snapshot lacks the extra data v3 requires (the 64-bit VM state size and the disk size). */
    boolean snapshotsNeedV3Extra() throws IOException {
        for (SnapshotTable.Entry e : snapshots()) {
            if (e.extra().length < SnapshotEntryHead.EXTRA_ICOUNT) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        try {
            raf.close();
        } finally {
            lock.close();
        }
    }
}
