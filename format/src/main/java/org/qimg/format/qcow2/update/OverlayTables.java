package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ALLOCATED;
import static org.qimg.format.qcow2.layout.Entries.ZERO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * The active L1 table and the L2 tables {@link Qcow2OverlayWriter} changes. A table is made writable as QEMU's
 * {@code get_cluster_table} makes it: a missing one is allocated empty; one without the COPIED flag in its L1
 * entry (shared with a snapshot) is copied to a new cluster ({@code l2_allocate}) and the shared original is
 * queued for release. Entries are validated when a table is loaded. L2 tables are held as {@code long[]} with
 * one slot per entry, or two (entry, bitmap) with extended L2.
 */
final class OverlayTables {
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final UpdaterRefcounts refs;
    private final boolean dataFile;
    private final boolean ext;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Bits;
    private final int slotsPerEntry;
    private final long[] l1;
    private final Map<Integer, long[]> loaded = new HashMap<>();
    private final TreeSet<Integer> dirtyL2 = new TreeSet<>();
    private final TreeSet<Integer> dirtyL1 = new TreeSet<>();
    private final List<long[]> pendingFree;

    OverlayTables(FileChannel ch, Path file, Qcow2Header h, UpdaterRefcounts refs, boolean dataFile,
                  List<long[]> pendingFree) throws IOException {
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.refs = refs;
        this.dataFile = dataFile;
        this.ext = h.hasExtendedL2();
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.l2Bits = h.l2Bits();
        this.slotsPerEntry = ext ? 2 : 1;
        this.pendingFree = pendingFree;
        int n = h.l1Size();
        long bytes = 8L * n;
        if (h.l1TableOffset() < 0 || bytes > ch.size() - h.l1TableOffset()) {
            throw new CorruptImageException(file.toString(), 40, "the L1 table (" + n + " entries at offset "
                    + h.l1TableOffset() + ") does not fit in the file");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) bytes);
        Positional.readFully(ch, buf, h.l1TableOffset(), file);
        buf.flip();
        l1 = new long[n];
        for (int i = 0; i < n; i++) {
            l1[i] = buf.getLong();
        }
    }

    /**
     * Makes the L2 table of guest cluster {@code index} writable (allocating or copying it) and returns the
     * slot of the cluster's entry in {@link #table(long)}.
     */
    int writableSlot(long index) throws IOException {
        int i = l1Index(index);
        long e = l1[i];
        long off = e & OFFSET_MASK;
        if (off == 0) {
            if (!loaded.containsKey(i)) {
                long n = claim(refs.allocate());
                l1[i] = n | COPIED;
                dirtyL1.add(i);
                dirtyL2.add(i);
                loaded.put(i, new long[slotsPerEntry << l2Bits]);
            }
        } else {
            load(i);
            if ((e & COPIED) == 0) { // shared with a snapshot
                long n = claim(refs.allocate());
                l1[i] = n | COPIED;
                dirtyL1.add(i);
                dirtyL2.add(i);
                pendingFree.add(new long[] {off, clusterSize});
            }
        }
        return slot(index);
    }

    /**
     * Writes zeros over a newly allocated table cluster at once (the table itself is written at the next flush):
     * the file then reaches past it, as the refcount table's growth, which goes past the end of the file, needs.
     */
    private long claim(long off) throws IOException {
        Positional.writeFully(ch, ByteBuffer.allocate(clusterSize), off);
        return off;
    }

    private int l1Index(long index) {
        long i = index >>> l2Bits;
        if (index < 0 || i >= l1.length) {
            throw new IllegalArgumentException("guest cluster " + index + " lies past the L1 table");
        }
        return (int) i;
    }

    /** The loaded table of guest cluster {@code index} (after {@link #writableSlot}). */
    long[] table(long index) {
        return loaded.get(l1Index(index));
    }

    /**
     * The table of guest cluster {@code index} as it is, without making it writable: null when it has none;
     * the cluster's entry is at {@link #slot(long)}. Changes to it need {@link #writableSlot} first.
     */
    long[] peek(long index) throws IOException {
        int i = l1Index(index);
        if ((l1[i] & OFFSET_MASK) == 0) {
            return loaded.get(i);
        }
        load(i);
        return loaded.get(i);
    }

    /** The slot of guest cluster {@code index}'s entry in its table. */
    int slot(long index) {
        return (int) (index & ((1L << l2Bits) - 1)) * slotsPerEntry;
    }

    /** The table of guest cluster {@code index} has changed. */
    void dirty(long index) {
        dirtyL2.add(l1Index(index));
    }

    /** How many L2 tables are held in memory (until the next {@link #writeDirty()}). */
    int loadedCount() {
        return loaded.size();
    }

    boolean hasDirty() {
        return !dirtyL2.isEmpty() || !dirtyL1.isEmpty();
    }

    private void load(int i) throws IOException {
        if (loaded.containsKey(i)) {
            return;
        }
        long e = l1[i];
        long off = e & OFFSET_MASK;
        String f = file.toString();
        if ((off & (clusterSize - 1)) != 0 || off > ch.size() - clusterSize) {
            throw new CorruptImageException(f, h.l1TableOffset() + 8L * i, "L1 entry " + i
                    + " must point to a cluster-aligned L2 table inside the file, found 0x" + Long.toHexString(e));
        }
        ByteBuffer buf = ByteBuffer.allocate(clusterSize);
        Positional.readFully(ch, buf, off, file);
        buf.flip();
        long[] t = new long[slotsPerEntry << l2Bits];
        for (int j = 0; j < t.length; j += slotsPerEntry) {
            long v = buf.getLong();
            long bm = ext ? buf.getLong() : 0;
            long at = off + 8L * j;
            if ((v & COMPRESSED) != 0) {
                if ((v & COPIED) != 0) {
                    throw new CorruptImageException(f, at, "compressed L2 entry has the COPIED flag set: 0x"
                            + Long.toHexString(v));
                }
            } else {
                long host = v & OFFSET_MASK;
                long reserved = v & ~(OFFSET_MASK | COPIED | (ext ? 0 : ZERO));
                if (reserved != 0 || (host & (clusterSize - 1)) != 0
                        || (!dataFile && host != 0 && host >= ch.size()) || (h.version() < 3 && (v & ZERO) != 0)) {
                    throw new CorruptImageException(f, at, "L2 entry must be a cluster-aligned offset inside the "
                            + "file with valid flags, found 0x" + Long.toHexString(v));
                }
                boolean unallocated = host == 0 && !(dataFile && (v & COPIED) != 0);
                if (ext && (((bm & SUBCLUSTERS_ALLOCATED) & (bm >>> 32)) != 0
                        || (unallocated && (bm & SUBCLUSTERS_ALLOCATED) != 0))) {
                    throw new CorruptImageException(f, at + 8, "invalid subcluster bitmap 0x"
                            + Long.toHexString(bm) + " for L2 entry 0x" + Long.toHexString(v));
                }
            }
            t[j] = v;
            if (ext) {
                t[j + 1] = bm;
            }
        }
        loaded.put(i, t);
    }

    /** Writes the changed L2 tables (to their new places) and forgets the loaded ones; true if L1 changed. */
    boolean writeDirty() throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(clusterSize);
        for (int i : dirtyL2) {
            buf.clear();
            for (long v : loaded.get(i)) {
                buf.putLong(v);
            }
            buf.flip();
            Positional.writeFully(ch, buf, l1[i] & OFFSET_MASK);
        }
        dirtyL2.clear();
        loaded.clear();
        return !dirtyL1.isEmpty();
    }

    /** Writes the changed L1 entries. */
    void writeL1() throws IOException {
        for (int i : dirtyL1) {
            Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, l1[i]), h.l1TableOffset() + 8L * i);
        }
        dirtyL1.clear();
    }

    int clusterBits() {
        return clusterBits;
    }
}
