package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;

/**
 * QEMU's {@code qcow2_update_snapshot_refcount}: walks the L2 tables an L1 table points to, adds
 * {@code addend} (+1, -1 or 0) to the refcount of every cluster they reference (compressed payloads, plain
 * and preallocated-zero data clusters, then the L2 table itself), and sets each L2 and L1 entry's COPIED flag
 * when the refcount it ends with is exactly 1 (never for compressed clusters). Changed L2 tables are written
 * back; the changed L1 is returned for the caller to write (or not, as QEMU does for addend -1). Clusters
 * whose refcount reaches 0 are remembered so the caller can punch them out.
 */
final class SnapshotWalk {
    private final FileChannel ch;
    private final Path file;
    private final int clusterSize;
    private final int clusterBits;
    private final UpdaterRefcounts refs;
    private final List<long[]> freed = new ArrayList<>();

    SnapshotWalk(FileChannel ch, Path file, int clusterSize, UpdaterRefcounts refs) {
        this.ch = ch;
        this.file = file;
        this.clusterSize = clusterSize;
        this.clusterBits = Integer.numberOfTrailingZeros(clusterSize);
        this.refs = refs;
    }

    /** Applies {@code addend}; returns the L1 table with new COPIED flags, or null when no entry changed. */
    long[] update(long[] l1, int addend) throws IOException {
        long[] out = l1.clone();
        boolean l1Changed = false;
        int n = clusterSize / Entries.ENTRY_BYTES;
        for (int i = 0; i < l1.length; i++) {
            long l2 = l1[i] & OFFSET_MASK;
            if (l1[i] == 0) {
                continue;
            }
            if (l2 == 0 || (l2 & (clusterSize - 1)) != 0) {
                throw new CorruptImageException(file.toString(), -1, "L2 table offset 0x" + Long.toHexString(l2)
                        + " unaligned or 0 (L1 index " + i + ")");
            }
            ByteBuffer t = ByteBuffer.allocate(clusterSize);
            Positional.readFully(ch, t, l2, file);
            boolean changed = false;
            for (int j = 0; j < n; j++) {
                long old = t.getLong(j * Entries.ENTRY_BYTES);
                long e = old & ~COPIED;
                long rc;
                switch (Entries.type(e, false, false)) {
                    case COMPRESSED -> {
                        if (addend != 0) {
                            long off = Entries.compressedOffset(e, clusterBits) & ~(long) (Entries.SECTOR - 1);
                            long end = Entries.compressedOffset(e, clusterBits)
                                    + Entries.compressedSpan(e, clusterBits);
                            change(off >>> clusterBits, ((end - 1) >>> clusterBits) - (off >>> clusterBits) + 1,
                                    addend);
                        }
                        rc = 2;
                    }
                    case NORMAL, ZERO_ALLOC -> {
                        long off = e & OFFSET_MASK;
                        if ((off & (clusterSize - 1)) != 0) {
                            throw new CorruptImageException(file.toString(), l2 + 8L * j, "cluster allocation"
                                    + " offset 0x" + Long.toHexString(off) + " unaligned");
                        }
                        if (addend != 0) {
                            change(off >>> clusterBits, 1, addend);
                        }
                        rc = refs.get(off >>> clusterBits);
                    }
                    default -> rc = 0;
                }
                if (rc == 1) {
                    e |= COPIED;
                }
                if (e != old) {
                    t.putLong(j * Entries.ENTRY_BYTES, e);
                    changed = true;
                }
            }
            if (changed) {
                t.clear();
                Positional.writeFully(ch, t, l2);
            }
            if (addend != 0) {
                change(l2 >>> clusterBits, 1, addend);
            }
            long entry = l2 | (refs.get(l2 >>> clusterBits) == 1 ? COPIED : 0);
            if (entry != l1[i]) {
                out[i] = entry;
                l1Changed = true;
            }
        }
        ch.force(false);
        return l1Changed && addend >= 0 ? out : null;
    }

    /**
     * Before a snapshot is taken (addend +1), checks that every cluster the walk will count has a refcount
     * block and room for one more reference, so that a refusal changes nothing: {@code File too large} for a
     * cluster no refcount block covers (QEMU's -EFBIG), {@code Invalid argument} for a refcount at its
     * maximum (QEMU's -EINVAL).
     */
    void precheck(long[] l1) throws IOException {
        int n = clusterSize / Entries.ENTRY_BYTES;
        for (long e1 : l1) {
            long l2 = e1 & OFFSET_MASK;
            if (e1 == 0) {
                continue;
            }
            room(l2 >>> clusterBits);
            if (l2 == 0 || (l2 & (clusterSize - 1)) != 0 || l2 > ch.size() - clusterSize) {
                continue; // the walk reports it as QEMU does
            }
            ByteBuffer t = ByteBuffer.allocate(clusterSize);
            Positional.readFully(ch, t, l2, file);
            for (int j = 0; j < n; j++) {
                long e = t.getLong(j * Entries.ENTRY_BYTES) & ~COPIED;
                switch (Entries.type(e, false, false)) {
                    case COMPRESSED -> {
                        long off = Entries.compressedOffset(e, clusterBits) & ~(long) (Entries.SECTOR - 1);
                        long end = Entries.compressedOffset(e, clusterBits) + Entries.compressedSpan(e, clusterBits);
                        for (long c = off >>> clusterBits; c <= (end - 1) >>> clusterBits; c++) {
                            room(c);
                        }
                    }
                    case NORMAL, ZERO_ALLOC -> room((e & OFFSET_MASK) >>> clusterBits);
                    default -> {
                    }
                }
            }
        }
    }

    private void room(long cluster) throws IOException {
        if (!refs.covered(cluster)) {
            // QEMU's alloc_refcount_block: a missing block inside the refcount table is placed and hooked up,
            // and the update is abandoned with -EAGAIN; a table too short for it ends in -EFBIG
            boolean inTable = cluster >= 0 && (cluster >>> refs.blockBits()) < refs.tableEntries();
            throw new org.qimg.format.ImageLimitException(inTable ? "Resource temporarily unavailable"
                    : "File too large");
        }
        if (refs.atMax(cluster)) {
            throw new org.qimg.format.ImageLimitException("Invalid argument");
        }
    }

    private void change(long first, long count, int addend) throws IOException {
        for (long c = first; c < first + count; c++) {
            refs.add(c, addend);
            if (addend < 0 && refs.get(c) == 0) {
                freed.add(new long[] {c << clusterBits, clusterSize});
            }
        }
    }

    /** Frees {@code n} clusters from host offset {@code offset}, remembering those that become free. */
    void free(long offset, long n) throws IOException {
        change(offset >>> clusterBits, n, -1);
    }

    /** The clusters freed so far that are still free, as (offset, length) pairs. */
    long[][] freedRanges() throws IOException {
        List<long[]> out = new ArrayList<>();
        for (long[] r : freed) {
            if (refs.get(r[0] >>> clusterBits) == 0) {
                out.add(r);
            }
        }
        return out.toArray(new long[0][]);
    }
}
