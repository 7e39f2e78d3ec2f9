package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.DirtyBitmap;
import org.qimg.format.ImageException;
import org.qimg.format.PersistentBitmaps;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.BitmapDirectoryCodec;
import org.qimg.format.qcow2.layout.BitmapDirectoryCodec.Entry;
import org.qimg.format.qcow2.layout.BitmapEntryHead;
import org.qimg.format.qcow2.layout.BitmapRules;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * The persistent dirty bitmaps of a qcow2 image, changed as QEMU 7.2 changes them under {@code qemu-img
 * bitmap} (qcow2-bitmap.c), step for step, so that the file ends up as qemu-img leaves it:
 * <ol>
 * <li>open: every bitmap is loaded; those not in use are marked in use in the directory, in place, with the
 * autoclear bit dropped around the write ({@code qcow2_load_dirty_bitmaps});</li>
 * <li>a removal writes a new directory at once and frees the bitmap's clusters
 * ({@code qcow2_co_remove_persistent_dirty_bitmap});</li>
 * <li>close: every bitmap that is not inconsistent is written anew (data clusters that hold a set bit, then its
 * table), then a new directory, the header, and only then the old directory and tables are freed
 * ({@code qcow2_store_persistent_dirty_bitmaps}). Freed data clusters are punched out of the file.</li>
 * </ol>
 * Bits are never held whole in memory: a bitmap's content is its stored clusters plus the bitmaps merged into
 * it, computed one cluster at a time when stored ({@link BitmapMerge}).
 * <p>This class owns the open (loading, amend's hold and resume) and the bitmap operations; the directory on
 * disk and the writes of steps 2 and 3 are {@link BitmapStore}'s.
 */
public final class Qcow2Bitmaps implements PersistentBitmaps {
    static final LockPerms PERMS = new LockPerms(LockPerms.CONSISTENT_READ | LockPerms.WRITE, LockPerms.ALL);

    private final ImageLock lock;
    private final RandomAccessFile raf;
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final String node;
    private final boolean write;
    private final int clusterSize;
    private final long size;
    /** The directory on disk and its writes. */
    private final BitmapStore dir;
    /** The bitmaps as QEMU holds them, newest first. */
    private final List<LoadedBitmap> mem = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** The reader's checks of the image, run under this object's locks. */
    @FunctionalInterface
    public interface Validation {
        void check() throws IOException;
    }

    /**
     * The bitmaps as an amend's open left them (marked in use by this process, not yet stored): the directory
     * and the names this process marked, which {@link #resumeAfterAmend} takes as its own, not inconsistent.
     */
    record Held(List<Entry> disk, long dirOffset, long dirSize, List<String> own) {
    }

    /** Non-null: the bitmaps a {@link #holdForAmend} left, read instead of the header's. */
    private final Held held;

    /**
     * {@code shared}: the refcounts of an updater that holds the image open (null: this object's own);
     * {@code held}: the bitmaps an amend's open left (null: the header's).
     */
    private Qcow2Bitmaps(ImageLock lock, RandomAccessFile raf, FileChannel ch, Path file, String node, boolean write,
            UpdaterRefcounts shared, Held held) throws IOException {
        this.held = held;
        this.lock = lock;
        this.raf = raf;
        this.file = file;
        this.node = node;
        this.write = write;
        this.ch = ch;
        this.h = Qcow2Header.read(ch, file);
        this.clusterSize = h.clusterSize();
        this.size = h.virtualSize() & ~511L;
        UpdaterRefcounts refs = null;
        if (write) {
            refuse();
            refs = shared != null ? shared : new UpdaterRefcounts(ch, file, h);
        }
        this.dir = new BitmapStore(ch, file, h, size, refs);
        if (held == null) {
            load();
        } else {
            resume();
        }
    }

    /**
     * qemu-img amend's open of an image with bitmaps ({@code qcow2_load_dirty_bitmaps}): the bitmaps are
     * loaded and marked in use; they are stored only when the amend is done ({@link #resumeAfterAmend}), in
     * whatever the image has become (another refcount width, version 2, another size), as QEMU's close does.
     */
    static Held holdForAmend(Path path) throws IOException {
        ImageLock lock = ImageLock.acquire(path, PERMS.qcow2File(false));
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            Qcow2Bitmaps b = new Qcow2Bitmaps(lock, raf, NamedChannel.wrap(raf.getChannel(), path), path, null, true, null, null);
            List<String> own = new ArrayList<>();
            for (LoadedBitmap m : b.mem) {
                if (!m.inconsistent) {
                    own.add(m.name);
                }
            }
            return new Held(b.dir.disk, b.dir.dirOffset, b.dir.dirSize, own);
        } finally {
            lock.close();
        }
    }

    /** The close after an amend: the bitmaps {@code held} stored anew ({@code qcow2_store_persistent_dirty_bitmaps}). */
    static void resumeAfterAmend(Path path, Held held) throws IOException {
        ImageLock lock = ImageLock.acquire(path, PERMS.qcow2File(false));
        RandomAccessFile raf = null;
        try {
            raf = new RandomAccessFile(path.toFile(), "rw");
            new Qcow2Bitmaps(lock, raf, NamedChannel.wrap(raf.getChannel(), path), path, null, true, null, held).close();
        } catch (IOException | RuntimeException e) {
            if (raf != null) {
                raf.close();
            }
            lock.close();
            throw e;
        }
    }

    /** {@link #load} for the bitmaps an amend held: the directory as it left it, its own ones consistent. */
    private void resume() throws IOException {
        dir.autoclear &= HeaderLayout.AUTOCLEAR_KNOWN;
        if (h.version() < 3) {
            dir.autoclear = 0; // qcow2_downgrade cleared them
        }
        dir.disk = held.disk();
        dir.dirOffset = held.dirOffset();
        dir.dirSize = held.dirSize();
        for (Entry e : dir.disk) {
            boolean own = held.own().contains(e.name());
            // the bits as they were at the open; a shrunk or grown image reads them to its new size
            StoredBitmap s = own ? StoredBitmap.of(ch, file, clusterSize, e.tableOffset(), e.tableSize(),
                    Math.min(e.tableSize() * clusterSize * 8L, BitmapRules.bitsNeeded(size, e.granularityBits())))
                    : null;
            mem.add(0, new LoadedBitmap(e.name(), e.granularityBits(), e.auto(), !own, s, size));
        }
    }

    /**
     * The bitmaps of an image another in-place updater holds open for writing (its channel, its refcounts, its
     * locks), loaded as QEMU's open loads them; {@link #close} stores them as QEMU's close does and releases
     * nothing else. {@code qemu-img snapshot} opens, changes and closes an image this way.
     */
    static Qcow2Bitmaps attach(FileChannel ch, Path file, UpdaterRefcounts refs) throws IOException {
        return new Qcow2Bitmaps(null, null, ch, file, file.toString(), true, refs, null);
    }

    /**
     * Opens the bitmaps of {@code path} (an image the reader has accepted), for changes when {@code write}
     * (QEMU's write locks), else for reading (QEMU's read locks). {@code validation} runs once the locks are
     * held: the checks QEMU's open makes (the reader's), which the image must pass before anything is read.
     * {@code node} is the name QEMU's messages give the image.
     */
    public static Qcow2Bitmaps open(Path path, String node, boolean write, Validation validation)
            throws IOException {
        ImageLock lock = ImageLock.acquire(path, (write ? PERMS : LockPerms.READ).qcow2File(false));
        RandomAccessFile raf = null;
        try {
            validation.check();
            raf = new RandomAccessFile(path.toFile(), write ? "rw" : "r");
            return new Qcow2Bitmaps(lock, raf, NamedChannel.wrap(raf.getChannel(), path), path, node, write, null, null);
        } catch (IOException | RuntimeException e) {
            if (raf != null) {
                raf.close();
            }
            lock.close();
            throw e;
        }
    }

    private void refuse() throws UnsupportedFeatureException {
        if (h.isCorrupt() || h.isDirty()) {
            throw new UnsupportedFeatureException(file + ": image is marked " + (h.isCorrupt() ? "corrupt" : "dirty")
                    + "; run qemu-img check -r all first");
        }
        if ((h.incompatibleFeatures() & ~HeaderLayout.INCOMPAT_KNOWN) != 0) {
            throw new UnsupportedFeatureException(file + ": image has unknown incompatible features");
        }
    }

    /** QEMU's open: load the directory and every bitmap; for writing, mark the loaded ones in use. */
    private void load() throws IOException {
        var ext = h.extensions().bitmaps();
        if (ext != null) {
            dir.dirOffset = ext.directoryOffset();
            dir.dirSize = ext.directorySize();
            ByteBuffer d = ByteBuffer.allocate((int) dir.dirSize);
            Positional.readFully(ch, d, dir.dirOffset, file);
            dir.disk = BitmapDirectoryCodec.parse(d, ext.count(), file.toString(), dir.dirOffset);
            for (Entry e : dir.disk) {
                StoredBitmap s = e.inUse() ? null : StoredBitmap.of(ch, file, clusterSize, e.tableOffset(),
                        e.tableSize(), BitmapRules.bitsNeeded(size, e.granularityBits()));
                mem.add(0, new LoadedBitmap(e.name(), e.granularityBits(), e.auto(), e.inUse(), s, size));
            }
        }
        HeaderRewrite header = HeaderRewrite.read(ch, file, clusterSize, h.version());
        boolean stale = ext == null && header.hasBitmapsExtension();
        if (stale) {
            // qcow2_read_extensions' warning; its second line has no newline
            warnings.add((h.version() < 3 ? "This qcow2 v2 image contains bitmaps, but they may have been modified"
                    + " by a program without persistent bitmap support; so now they must all be considered"
                    + " inconsistent" : "a program lacking bitmap support modified this file, so all bitmaps are"
                    + " now considered inconsistent") + "\nSome clusters may be leaked, run 'qemu-img check -r' on"
                    + " the image file to fix.");
        }
        if (!write) {
            return;
        }
        boolean unknownAutoclear = (dir.autoclear & ~HeaderLayout.AUTOCLEAR_KNOWN) != 0;
        if (unknownAutoclear || stale) {
            // qcow2_do_open drops unknown autoclear bits and a bitmaps extension QEMU must ignore
            dir.autoclear &= HeaderLayout.AUTOCLEAR_KNOWN;
            if (ext == null) {
                header.write(ch, file, dir.autoclear, 0, 0, 0);
            }
        }
        boolean mark = false;
        List<Entry> marked = new ArrayList<>();
        for (Entry e : dir.disk) {
            mark |= !e.inUse();
            marked.add(e.withFlags(e.flags() | BitmapEntryHead.FLAG_IN_USE));
        }
        if (mark && BitmapDirectoryCodec.size(marked) == dir.dirSize) {
            // update_ext_header_and_dir_in_place
            header.write(ch, file, dir.autoclear & ~HeaderLayout.AUTOCLEAR_BITMAPS, dir.disk.size(), dir.dirSize,
                    dir.dirOffset);
            Positional.writeFully(ch, BitmapDirectoryCodec.encode(marked), dir.dirOffset);
            ch.force(false);
            header.write(ch, file, dir.autoclear, dir.disk.size(), dir.dirSize, dir.dirOffset);
            dir.disk = marked;
        } else if (ext != null && unknownAutoclear) {
            header.write(ch, file, dir.autoclear, dir.disk.size(), dir.dirSize, dir.dirOffset);
        }
    }

    @Override
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    @Override
    public List<DirtyBitmap> bitmaps() {
        return List.copyOf(mem);
    }

    @Override
    public boolean supportsPersistent() {
        return h.version() >= 3;
    }

    private LoadedBitmap lookup(String name) throws ImageException {
        for (LoadedBitmap m : mem) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        throw Bitmaps.notFound(name);
    }

    @Override
    public void add(String name, long granularity, boolean disabled) throws IOException {
        Bitmaps.checkNewName(name, granularity);
        long g = granularity != 0 ? granularity : Math.min(65536, Math.max(4096, clusterSize));
        for (LoadedBitmap m : mem) {
            if (m.name.equals(name)) {
                throw new ImageException("Bitmap already exists: " + name);
            }
        }
        String prefix = "Can't make bitmap '" + name + "' persistent in '" + node + "': ";
        if (h.version() < 3) {
            throw new ImageException(prefix + "Cannot store dirty bitmaps in qcow2 v2 files");
        }
        int bits = Long.numberOfTrailingZeros(g);
        if (bits > BitmapRules.MAX_GRANULARITY_BITS) {
            throw new ImageException(prefix + "Granularity exceeds maximum (2147483648 bytes)");
        }
        if (!BitmapRules.fitsLimits(size, bits, clusterSize)) {
            throw new ImageException(prefix + "Too much space will be occupied by the bitmap. "
                    + "Use larger granularity");
        }
        byte[] utf8 = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (utf8.length > BitmapRules.MAX_NAME) {
            throw new ImageException(prefix + "Name length exceeds maximum (" + BitmapRules.MAX_NAME
                    + " characters)");
        }
        long dir = BitmapEntryHead.entryBytes(utf8.length);
        for (LoadedBitmap m : mem) {
            dir += BitmapEntryHead.entryBytes(m.name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        if (mem.size() + 1 > HeaderLayout.MAX_BITMAPS) {
            throw new ImageException(prefix + "Maximum number of persistent bitmaps is already reached");
        }
        if (dir > HeaderLayout.MAX_BITMAP_DIRECTORY) {
            throw new ImageException(prefix + "Not enough space in the bitmap directory");
        }
        mem.add(0, new LoadedBitmap(name, bits, !disabled, false, null, size));
    }

    @Override
    public void remove(String name) throws IOException {
        LoadedBitmap m = lookup(name);
        requireWrite();
        for (int i = 0; i < dir.disk.size(); i++) {
            if (dir.disk.get(i).name().equals(name)) {
                List<Entry> rest = new ArrayList<>(dir.disk);
                Entry gone = rest.remove(i);
                dir.updateDirectory(rest);
                dir.freeClusters(gone);
                break;
            }
        }
        mem.remove(m);
    }

    @Override
    public void clear(String name) throws IOException {
        LoadedBitmap m = usable(lookup(name));
        m.stored = null;
        m.merged.clear();
    }

    @Override
    public void enable(String name) throws IOException {
        usable(lookup(name)).enabled = true;
    }

    @Override
    public void disable(String name) throws IOException {
        usable(lookup(name)).enabled = false;
    }

    @Override
    public void merge(String target, DirtyBitmap source) throws IOException {
        LoadedBitmap m = usable(lookup(target));
        if (source.inconsistent()) {
            throw Bitmaps.inconsistent(source.name());
        }
        if (source.size() != m.size()) {
            throw new ImageException("Bitmaps are of different sizes (destination size is " + m.size()
                    + ", source size is " + source.size() + ") and can't be merged");
        }
        if (source != m) {
            m.merged.add(source);
        }
    }

    private LoadedBitmap usable(LoadedBitmap m) throws ImageException {
        if (m.inconsistent) {
            throw Bitmaps.inconsistent(m.name);
        }
        if (!write) {
            throw new ImageException("Bitmap '" + m.name + "' is readonly and cannot be modified");
        }
        return m;
    }

    private void requireWrite() throws ImageException {
        if (!write) {
            throw new ImageException("Bitmap is readonly and cannot be modified");
        }
    }

    /** qcow2_store_persistent_dirty_bitmaps, then the image is released. */
    @Override
    public void close() throws IOException {
        try {
            if (write) {
                dir.store(mem);
            }
        } finally {
            if (raf != null) {
                try {
                    raf.close();
                } finally {
                    lock.close();
                }
            }
        }
    }
}
