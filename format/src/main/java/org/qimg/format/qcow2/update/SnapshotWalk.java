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
 *
 * <p>With extended L2 entries each entry is 16 bytes: the walk reads and rewrites only the first 8 (the
 * descriptor) and leaves the subcluster bitmap as it is, and bit 0 is not a zero flag, so an entry with a host
 * offset is a normal cluster whatever its bitmap says (QEMU's {@code get_l2_entry} and
 * {@code qcow2_get_cluster_type}).
 */
final class SnapshotWalk {
    private final FileChannel ch;
    private final Path file;
    private final int clusterSize;
    private final int clusterBits;
    private final UpdaterRefcounts refs;
    private final boolean extendedL2;
    private final int entryBytes;
    private final List<long[]> freed = new ArrayList<>();

    SnapshotWalk(FileChannel ch, Path file, int clusterSize, boolean extendedL2, UpdaterRefcounts refs) {
        this.ch = ch;
        this.file = file;
        this.clusterSize = clusterSize;
        this.clusterBits = Integer.numberOfTrailingZeros(clusterSize);
        this.refs = refs;
        this.extendedL2 = extendedL2;
        this.entryBytes = Entries.l2EntryBytes(extendedL2);
    }

    /** Applies {@code addend}; returns the L1 table with new COPIED flags, or null when no entry changed. */
    long[] update(long[] l1, int addend) throws IOException {
        long[] out = l1.clone();
        boolean l1Changed = false;
        int n = clusterSize / entryBytes;
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
                long old = t.getLong(j * entryBytes);
                long e = old & ~COPIED;
                long rc;
                switch (Entries.type(e, extendedL2, false)) {
                    case COMPRESSED -> {
                        if (addend != 0) {
                            long off = Entries.compressedOffset(e, clusterBits) & ~(long) (Entries.SECTOR - 1);
                            long end = Entries.compressedOffset(e, clusterBits)
                                    + Entries.compressedSpan(e, clusterBits);
                            countOrFail(off >>> clusterBits,
                                    ((end - 1) >>> clusterBits) - (off >>> clusterBits) + 1, addend,
                                    changed ? t : null, l2);
                        }
                        rc = 2;
                    }
                    case NORMAL, ZERO_ALLOC -> {
                        long off = e & OFFSET_MASK;
                        if ((off & (clusterSize - 1)) != 0) {
                            throw new CorruptImageException(file.toString(), l2 + (long) entryBytes * j, "cluster allocation"
                                    + " offset 0x" + Long.toHexString(off) + " unaligned");
                        }
                        if (addend != 0) {
                            countOrFail(off >>> clusterBits, 1, addend, changed ? t : null, l2);
                        }
                        rc = refs.get(off >>> clusterBits);
                    }
                    default -> rc = 0;
                }
                if (rc == 1) {
                    e |= COPIED;
                }
                if (e != old) {
                    t.putLong(j * entryBytes, e);
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
     * block, so that a refusal changes nothing: {@code File too large} for a cluster no refcount block covers
     * (QEMU's -EFBIG). Returns true when some refcount is at its maximum: QEMU then fails part way with -EINVAL
     * (an L1 copy leaked, the clusters before the full one counted), which the caller lets happen.
     */
    boolean precheck(long[] l1) throws IOException {
        boolean full = false;
        int n = clusterSize / entryBytes;
        for (long e1 : l1) {
            long l2 = e1 & OFFSET_MASK;
            if (e1 == 0) {
                continue;
            }
            full |= room(l2 >>> clusterBits);
            if (l2 == 0 || (l2 & (clusterSize - 1)) != 0 || l2 > ch.size() - clusterSize) {
                continue; // the walk reports it as QEMU does
            }
            ByteBuffer t = ByteBuffer.allocate(clusterSize);
            Positional.readFully(ch, t, l2, file);
            for (int j = 0; j < n; j++) {
                long e = t.getLong(j * entryBytes) & ~COPIED;
                switch (Entries.type(e, extendedL2, false)) {
                    case COMPRESSED -> {
                        long off = Entries.compressedOffset(e, clusterBits) & ~(long) (Entries.SECTOR - 1);
                        long end = Entries.compressedOffset(e, clusterBits) + Entries.compressedSpan(e, clusterBits);
                        for (long c = off >>> clusterBits; c <= (end - 1) >>> clusterBits; c++) {
                            full |= room(c);
                        }
                    }
                    case NORMAL, ZERO_ALLOC -> full |= room((e & OFFSET_MASK) >>> clusterBits);
                    default -> {
                    }
                }
            }
        }
        return full;
    }

    /**
     * True when {@code cluster}'s refcount is at its maximum; throws when no refcount block covers it, with
     * QEMU's errno: its {@code alloc_refcount_block} would make the block (and grow the refcount table) and
     * fail with -EAGAIN, or -EFBIG where the table would pass {@code QCOW_MAX_REFTABLE_SIZE} entries (with the
     * half again {@code qcow2_refcount_area} adds). qimg makes neither and leaves the image as it was.
     */
    private boolean room(long cluster) throws IOException {
        if (!refs.covered(cluster)) {
            long block = cluster >>> refs.blockBits();
            long blocks = block + 1;
            boolean tooBig = block >= refs.tableEntries() && blocks + (blocks + 1) / 2 > MAX_REFTABLE_ENTRIES;
            throw new org.qimg.format.ImageLimitException(tooBig ? "File too large"
                    : "Resource temporarily unavailable");
        }
        return refs.atMax(cluster);
    }

    /** QEMU's {@code QCOW_MAX_REFTABLE_SIZE}, compared with a count of refcount table entries. */
    private static final long MAX_REFTABLE_ENTRIES = 8L << 20;

    /**
     * {@link #change}, as QEMU's {@code update_refcount} of one range: when a refcount would overflow, the
     * range's clusters already counted are uncounted, the L2 table's entries changed so far ({@code table},
     * null when none) are written out as QEMU's cache writes them at close, and the walk fails.
     */
    private void countOrFail(long first, long count, int addend, ByteBuffer table, long at) throws IOException {
        long c = first;
        try {
            for (; c < first + count; c++) {
                change(c, 1, addend);
            }
        } catch (org.qimg.format.ImageLimitException overflow) {
            for (long k = first; k < c; k++) {
                refs.add(k, -addend);
            }
            if (table != null) {
                table.clear();
                Positional.writeFully(ch, table, at);
            }
            throw overflow;
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
