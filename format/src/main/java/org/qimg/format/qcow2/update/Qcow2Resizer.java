package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.CorruptionSignalledException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.ResizeRequest;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostFiles;

/**
 * {@code qemu-img resize} of a qcow2 image, in QEMU's order ({@code qcow2_co_truncate}, exact size):
 *
 * <ul>
 *   <li>Growing: when the new size needs more L1 entries, a new L1 table of exactly that many entries is
 *   allocated (first free run of clusters), written with the old entries, the header switched to it, and the
 *   old table's clusters freed ({@code qcow2_grow_l1_table}). Refcount blocks and a larger refcount table are
 *   added as the allocation needs them.</li>
 *   <li>Shrinking: every guest cluster from the new end (rounded up to a cluster) is discarded (its L2 entry
 *   set to 0, its host clusters' refcounts decremented), L1 entries past the new L1 size are zeroed and their
 *   L2 tables freed (the header keeps its L1 size, as QEMU's), refcount blocks that count nothing are dropped,
 *   and the file is cut after its last used cluster.</li>
 *   <li>Then the new size is written into the header.</li>
 * </ul>
 *
 * <p>A shrink of an image with snapshots copies each shared L2 table it discards from first, as QEMU's
 * {@code l2_allocate} does. A grown area is preallocated as {@link ResizePreallocation} says (with
 * {@code data_file_raw} at least its metadata, as QEMU's); an external data file is otherwise set to the new
 * size. Refused: a size that is not a multiple of 512, snapshots on a v2 image (QEMU's message), preallocation
 * of a shrink, and what qimg does not handle in place: persistent bitmaps, shrinking with an external data
 * file, encryption, the dirty or corrupt bit, and (see {@link GrowZeroing}) a grown area over a longer backing
 * file whose zeroing meets compressed or shared clusters. Refcounts stay exact throughout (each change written through).
 */
public final class Qcow2Resizer {
    static final LockPerms PERMS = new LockPerms(LockPerms.CONSISTENT_READ | LockPerms.WRITE | LockPerms.RESIZE,
            LockPerms.ALL);

    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final int clusterBits;
    private final long clusterSize;
    private final UpdaterRefcounts refs;
    /** Clusters freed by the shrink, punched out of the file at the end as QEMU's discards do. */
    private final java.util.List<long[]> freed = new java.util.ArrayList<>();

    private Qcow2Resizer(FileChannel ch, Path file, Qcow2Header h) throws IOException {
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        // the refcount table's entries judged when used, as QEMU's truncate judges them (iotest 060)
        this.refs = new UpdaterRefcounts(ch, file, h, true);
    }

    /** Resizes the qcow2 image {@code path} as {@code request} says. */
    public static void resize(Path path, ResizeRequest request) throws IOException {
        long size = request.newSize();
        if (size % Entries.SECTOR != 0) {
            throw new ImageException("The new size must be a multiple of " + Entries.SECTOR);
        }
        try (ImageLock lock = ImageLock.acquire(path, PERMS.qcow2File(request.forceShare()));
             RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            FileChannel ch = NamedChannel.wrap(raf.getChannel(), path);
            Qcow2Header h = Qcow2Header.read(ch, path);
            refuse(h, path, size, request);
            long old = h.virtualSize();
            boolean zeroing = request.zeroNewArea() && size > old;
            if (zeroing) {
                GrowZeroing.requireSupported(ch, path, h, old, size);
            }
            Qcow2Resizer r = new Qcow2Resizer(ch, path, h);
            if (size > old) {
                ResizeRequest.Preallocation mode = request.prealloc();
                if (h.dataFileRaw() && mode == ResizeRequest.Preallocation.OFF) {
                    // QEMU keeps a raw data file fully mapped: a grown image gets its metadata preallocated
                    mode = ResizeRequest.Preallocation.METADATA;
                }
                if (mode != ResizeRequest.Preallocation.OFF) {
                    new ResizePreallocation(ch, path, h, null, null, null, null).requireSupported(old, size);
                }
                r.grow(size);
                // the L1 table may have moved: go on through the header as it is now
                Qcow2Header now = Qcow2Header.read(ch, path);
                try (ResizeGuestBytes guest = new ResizeGuestBytes(path, old);
                     DataFileChannel data = DataFileChannel.open(path, now)) {
                    ResizePreallocation p = new ResizePreallocation(ch, path, now, r.refs, guest, data.channel(),
                            data.path());
                    switch (mode) {
                        case OFF -> data.truncate(size);
                        case METADATA -> p.metadata(old, size, mode);
                        default -> {
                            if (data.channel() != null) {
                                p.metadata(old, size, mode);
                            } else {
                                p.allocateData(old, size, mode, zeroing);
                                zeroing = false; // the new clusters were allocated as zeros
                            }
                        }
                    }
                    if (zeroing) {
                        new GrowZeroing(ch, path, now, r.refs, guest).zero(old, size);
                    }
                }
            } else if (size < old) {
                r.shrink(size, raf);
            }
            ByteBuffer b = ByteBuffer.allocate(8).putLong(0, size);
            Positional.writeFully(ch, b, HeaderLayout.OFF_SIZE);
            if ((h.autoclearFeatures() & ~HeaderLayout.AUTOCLEAR_KNOWN) != 0) {
                // a writer clears the autoclear bits it does not know (qcow2.txt)
                ByteBuffer a = ByteBuffer.allocate(8).putLong(0, h.autoclearFeatures() & HeaderLayout.AUTOCLEAR_KNOWN);
                Positional.writeFully(ch, a, HeaderLayout.OFF_AUTOCLEAR);
            }
            ch.force(false);
        }
    }

    /**
     * Discards every guest cluster of the image on {@code ch} (L2 entries set to 0, clusters freed and punched
     * out of the file), as the fallback of QEMU's {@code qcow2_make_empty}; for {@link Qcow2Emptier}.
     */
    static void discardAll(FileChannel ch, Path file, Qcow2Header h) throws IOException {
        Qcow2Resizer r = new Qcow2Resizer(ch, file, h);
        long[] l1 = new long[h.l1Size()];
        ByteBuffer b = ByteBuffer.allocate(l1.length * Entries.ENTRY_BYTES);
        Positional.readFully(ch, b, h.l1TableOffset(), file);
        b.flip();
        for (int i = 0; i < l1.length; i++) {
            l1[i] = b.getLong();
        }
        r.discard(l1, 0, (h.virtualSize() + r.clusterSize - 1) >>> r.clusterBits);
        ch.force(false);
        java.util.List<long[]> holes = new java.util.ArrayList<>();
        for (long[] x : r.freed) {
            if (r.refs.get(x[0] >>> r.clusterBits) == 0) {
                holes.add(x);
            }
        }
        HostFiles.punchHoles(file, holes.toArray(new long[0][]));
    }

    private static void refuse(Qcow2Header h, Path path, long size, ResizeRequest request) throws ImageException {
        String f = path.toString();
        if (h.nbSnapshots() != 0 && h.version() < 3) {
            throw new UnsupportedFeatureException("Can't resize a v2 image which has snapshots");
        }
        if ((h.autoclearFeatures() & HeaderLayout.AUTOCLEAR_BITMAPS) != 0 || h.extensions().bitmaps() != null) {
            throw new UnsupportedFeatureException(f + ": qimg does not resize images with persistent bitmaps");
        }
        if (h.hasExternalDataFile() && size < h.virtualSize()) {
            throw new UnsupportedFeatureException(f + ": qimg does not shrink images with an external data file");
        }
        if (size < h.virtualSize() && request.prealloc() != ResizeRequest.Preallocation.OFF) {
            throw new ImageException("Preallocation can't be used for shrinking an image");
        }
        if (h.cryptMethod() != 0) {
            throw new UnsupportedFeatureException(f + ": image is encrypted");
        }
        Qcow2Updater.requireClean(h, f);
    }

    /** L1 entries a guest size needs (QEMU's size_to_l1). */
    private long l1Entries(long size) {
        int l2Bits = clusterBits - 3 + (h.hasExtendedL2() ? -1 : 0);
        long perL1 = 1L << (clusterBits + l2Bits);
        return (size + perL1 - 1) / perL1;
    }

    private void grow(long size) throws IOException {
        long needed = l1Entries(size);
        int old = h.l1Size();
        if (needed <= old) {
            return;
        }
        if (needed * Entries.ENTRY_BYTES > HeaderLayout.MAX_L1_BYTES) {
            throw new ImageLimitException("Failed to grow the L1 table: File too large");
        }
        int bytes = (int) (needed * Entries.ENTRY_BYTES);
        ByteBuffer t = ByteBuffer.allocate(bytes);
        Positional.readFully(ch, t.limit(old * Entries.ENTRY_BYTES), h.l1TableOffset(), file);
        t.clear();
        long clusters = (bytes + clusterSize - 1) >>> clusterBits;
        long at = refs.allocateRun(clusters);
        ch.force(false);
        Positional.writeFully(ch, t, at);
        ch.force(false);
        ByteBuffer hdr = ByteBuffer.allocate(12).putInt((int) needed).putLong(at);
        hdr.flip();
        Positional.writeFully(ch, hdr, HeaderLayout.OFF_L1_SIZE);
        ch.force(false);
        if (old > 0 && h.l1TableOffset() != 0) {
            refs.free(h.l1TableOffset(), ((long) old * Entries.ENTRY_BYTES + clusterSize - 1) >>> clusterBits);
        }
    }

    private void shrink(long size, RandomAccessFile raf) throws IOException {
        int l1Size = h.l1Size();
        long[] l1 = new long[l1Size];
        ByteBuffer b = ByteBuffer.allocate(l1Size * Entries.ENTRY_BYTES);
        Positional.readFully(ch, b, h.l1TableOffset(), file);
        b.flip();
        for (int i = 0; i < l1Size; i++) {
            l1[i] = b.getLong();
        }
        discard(l1, (size + clusterSize - 1) >>> clusterBits, (h.virtualSize() + clusterSize - 1) >>> clusterBits);
        long keep = l1Entries(size);
        if (keep < l1Size) {
            Positional.writeFully(ch, ByteBuffer.allocate((int) ((l1Size - keep) * Entries.ENTRY_BYTES)),
                    h.l1TableOffset() + keep * Entries.ENTRY_BYTES);
            ch.force(false);
            for (int i = l1Size - 1; i >= keep; i--) {
                long off = l1[i] & OFFSET_MASK;
                if (off != 0) {
                    discardFree(off, 1);
                }
            }
        }
        try {
            for (long off : refs.dropUnusedBlocks()) {
                freed.add(new long[] {off, clusterSize});
            }
        } catch (UpdaterRefcounts.Corruption c) {
            throw new CorruptionSignalledException(refs.markCorrupt(c), "Failed to discard unused refblocks: "
                    + c.errno());
        }
        ch.force(false);
        java.util.List<long[]> holes = new java.util.ArrayList<>();
        for (long[] r : freed) {
            if (refs.get(r[0] >>> clusterBits) == 0) {
                holes.add(r);
            }
        }
        HostFiles.punchHoles(file, holes.toArray(new long[0][]));
        long length = ch.size();
        long last = refs.lastUsedCluster((length + clusterSize - 1) >>> clusterBits);
        if (last >= 0 && (last + 1) * clusterSize < length) {
            raf.setLength((last + 1) * clusterSize);
        }
    }

    /**
     * Sets the L2 entries of guest clusters [from, to) to 0 and frees the host clusters they held, each L2
     * table written before the refcounts it releases are decremented.
     */
    private void discard(long[] l1, long from, long to) throws IOException {
        int entryBytes = Entries.l2EntryBytes(h.hasExtendedL2());
        long perTable = clusterSize / entryBytes;
        for (long g = from; g < to; ) {
            int i = (int) (g / perTable);
            long end = Math.min(to, (i + 1L) * perTable);
            if (i >= l1.length) {
                break;
            }
            if ((l1[i] & COPIED) == 0) {
                // QEMU's discard works on a table it owns: it allocates one (empty, or a copy of a shared one)
                l1[i] = ownTable(i, l1[i] & OFFSET_MASK);
            }
            long l2 = l1[i] & OFFSET_MASK;
            int first = (int) (g - i * perTable);
            int count = (int) (end - g);
            ByteBuffer t = ByteBuffer.allocate(count * entryBytes);
            Positional.readFully(ch, t, l2 + (long) first * entryBytes, file);
            t.flip();
            long[] entries = new long[count];
            for (int j = 0; j < count; j++) {
                entries[j] = t.getLong(j * entryBytes);
            }
            Positional.writeFully(ch, ByteBuffer.allocate(count * entryBytes), l2 + (long) first * entryBytes);
            ch.force(false);
            for (long e : entries) {
                release(e);
            }
            g = end;
        }
    }

    /** Frees {@code n} clusters from {@code offset}; those whose refcount drops to 0 are punched later. */
    private void discardFree(long offset, long n) throws IOException {
        refs.free(offset, n);
        for (long i = 0; i < n; i++) {
            long c = (offset >>> clusterBits) + i;
            if (refs.get(c) == 0) {
                freed.add(new long[] {c << clusterBits, clusterSize});
            }
        }
    }

    /** QEMU's {@code l2_allocate}: a new L2 table for L1 index {@code i}, replacing {@code old} (0 or shared). */
    private long ownTable(int i, long old) throws IOException {
        long at = refs.allocateRun(1);
        ByteBuffer t = ByteBuffer.allocate((int) clusterSize);
        if (old != 0) {
            Positional.readFully(ch, t, old, file);
            t.clear();
        }
        Positional.writeFully(ch, t, at);
        ch.force(false);
        long entry = at | COPIED;
        Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, entry), h.l1TableOffset() + 8L * i);
        ch.force(false);
        if (old != 0) {
            refs.free(old, 1);
        }
        return entry;
    }

    private void release(long e) throws IOException {
        if ((e & COMPRESSED) != 0) {
            long off = Entries.compressedOffset(e, clusterBits);
            long span = Entries.compressedSpan(e, clusterBits);
            long firstCluster = off >>> clusterBits;
            long lastCluster = (off + span - 1) >>> clusterBits;
            discardFree(firstCluster << clusterBits, lastCluster - firstCluster + 1);
        } else if ((e & OFFSET_MASK) != 0) {
            discardFree(e & OFFSET_MASK, 1);
        }
    }
}
