package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * What QEMU 7.2 does when an image grows over a backing file longer than its old size ({@code bdrv_co_truncate}
 * asks for {@code BDRV_REQ_ZERO_WRITE}, {@code qcow2_co_truncate} obeys) so that the backing file's data past
 * the old end stays hidden:
 *
 * <ul>
 *   <li>from the old size rounded up to a subcluster to the new end, clusters are made to read as zeros
 *   ({@code qcow2_subcluster_zeroize}): the zero flag on each L2 entry (v3), or with extended L2 the
 *   subclusters' zero bits; compressed clusters are freed; L2 tables are allocated (or copied from a shared one)
 *   where the range needs them;</li>
 *   <li>the bytes from the old size to that subcluster boundary are written as zeros (a guest write).</li>
 * </ul>
 *
 * A v2 image cannot hold zero clusters: QEMU fails ("Failed to zero out new clusters: Operation not
 * supported"), after its L1 table has grown. The guest write of the unaligned head is done as QEMU's write
 * path does it: in place in a cluster this image owns (an unallocated subcluster there is allocated, its head
 * copied from the old content), or into a new cluster where the cluster is unallocated (its head, and with
 * extended L2 its subcluster's, copied-on-write). Compressed clusters, clusters shared with a snapshot and
 * preallocated zero clusters are refused before anything changes.
 */
final class GrowZeroing {
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final UpdaterRefcounts refs;
    private final long clusterSize;
    private final int entryBytes;
    private final long perTable;
    private final long subcluster;

    private final ResizePreallocation.GuestBytes guest;

    GrowZeroing(FileChannel ch, Path file, Qcow2Header h, UpdaterRefcounts refs,
                ResizePreallocation.GuestBytes guest) {
        this.guest = guest;
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.refs = refs;
        this.clusterSize = h.clusterSize();
        this.entryBytes = Entries.l2EntryBytes(h.hasExtendedL2());
        this.perTable = clusterSize / entryBytes;
        this.subcluster = h.hasExtendedL2() ? clusterSize / Entries.SUBCLUSTERS : clusterSize;
    }

    /**
     * Refuses, before anything is written, what QEMU would do and qimg cannot: the zero write of the unaligned
     * head of the new area when that needs a cluster allocated.
     */
    static void requireSupported(FileChannel ch, Path file, Qcow2Header h, long oldSize, long newSize)
            throws IOException {
        if (h.version() < 3) {
            return; // fails in zero(), as QEMU's, after the L1 table grew
        }
        GrowZeroing z = new GrowZeroing(ch, file, h, null, null);
        long zeroStart = alignUp(oldSize, z.subcluster);
        if (zeroStart > oldSize && !z.writableInPlace(oldSize, Math.min(zeroStart, newSize))) {
            throw new UnsupportedFeatureException(file + ": qimg cannot yet grow this image over a longer backing "
                    + "file: the zeros QEMU writes after the old end (" + oldSize + ") would need a new cluster");
        }
    }

    /** Makes [oldSize, newSize) read as zeros, as QEMU does; the header still says oldSize. */
    void zero(long oldSize, long newSize) throws IOException {
        if (h.version() < 3) {
            throw new ImageException("Failed to zero out new clusters: Operation not supported");
        }
        long zeroStart = alignUp(oldSize, subcluster);
        if (newSize > zeroStart) {
            long offset = zeroStart;
            long head = Math.min(newSize, alignUp(offset, clusterSize)) - offset;
            if (head > 0) {
                zeroSubclusters(offset, (head + subcluster - 1) / subcluster);
                offset += head;
            }
            long clusters = (newSize - offset + clusterSize - 1) / clusterSize;
            zeroClusters(offset / clusterSize, clusters);
        }
        if (zeroStart > oldSize) {
            headWrite(oldSize, Math.min(zeroStart, newSize));
        }
        ch.force(false);
    }

    /** zero_in_l2_slice over guest clusters [first, first + n): one L2 table at a time. */
    private void zeroClusters(long first, long n) throws IOException {
        long c = first;
        long end = first + n;
        while (c < end) {
            int i = (int) (c / perTable);
            long tableEnd = Math.min(end, (i + 1) * perTable);
            long l2 = ownedTable(i);
            for (; c < tableEnd; c++) {
                long at = l2 + (c % perTable) * entryBytes;
                ByteBuffer e = ByteBuffer.allocate(entryBytes);
                Positional.readFully(ch, e, at, file);
                long old = e.getLong(0);
                long oldBitmap = h.hasExtendedL2() ? e.getLong(8) : 0;
                boolean compressed = (old & COMPRESSED) != 0;
                long entry = compressed ? 0 : old;
                long bitmap = oldBitmap;
                if (h.hasExtendedL2()) {
                    bitmap = Entries.SUBCLUSTERS_ZERO;
                } else {
                    entry |= Entries.ZERO;
                }
                if (entry == old && bitmap == oldBitmap) {
                    continue;
                }
                e.putLong(0, entry);
                if (h.hasExtendedL2()) {
                    e.putLong(8, bitmap);
                }
                Positional.writeFully(ch, e.clear(), at);
                if (compressed) {
                    long off = Entries.compressedOffset(old, h.clusterBits());
                    long span = Entries.compressedSpan(old, h.clusterBits());
                    long firstCluster = off / clusterSize;
                    long lastCluster = (off + span - 1) / clusterSize;
                    refs.free(firstCluster * clusterSize, lastCluster - firstCluster + 1);
                }
            }
        }
    }

    /** zero_l2_subclusters: {@code count} subclusters from guest {@code offset}, inside one cluster. */
    private void zeroSubclusters(long offset, long count) throws IOException {
        long c = offset / clusterSize;
        int first = (int) (offset % clusterSize / subcluster);
        long l2 = ownedTable((int) (c / perTable));
        long at = l2 + (c % perTable) * entryBytes;
        ByteBuffer e = ByteBuffer.allocate(entryBytes);
        Positional.readFully(ch, e, at, file);
        if ((e.getLong(0) & COMPRESSED) != 0) {
            throw new ImageException("Failed to zero out new clusters: Operation not supported");
        }
        long bitmap = e.getLong(8);
        long range = ((1L << count) - 1) << first;
        long next = (bitmap | (range << 32)) & ~range;
        if (next != bitmap) {
            Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, next), at + 8);
        }
    }

    /** The L2 table of L1 index {@code i}, allocated (or copied from a shared one) first as QEMU's l2_allocate. */
    private long ownedTable(int i) throws IOException {
        long l1Entry = l1Entry(i);
        if ((l1Entry & COPIED) != 0) {
            return l1Entry & OFFSET_MASK;
        }
        long old = l1Entry & OFFSET_MASK;
        long at = refs.allocateRun(1);
        ByteBuffer t = ByteBuffer.allocate((int) clusterSize);
        if (old != 0) {
            Positional.readFully(ch, t, old, file);
            t.clear();
        }
        Positional.writeFully(ch, t, at);
        ch.force(false);
        Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, at | COPIED), h.l1TableOffset() + 8L * i);
        ch.force(false);
        if (old != 0) {
            refs.free(old, 1);
        }
        return at;
    }

    private long l1Entry(int i) throws IOException {
        if (i >= h.l1Size()) {
            throw new ImageException(file + ": guest offset beyond the L1 table while zeroing the grown area");
        }
        ByteBuffer b = ByteBuffer.allocate(8);
        Positional.readFully(ch, b, h.l1TableOffset() + 8L * i, file);
        return b.getLong(0);
    }

    /** The L2 entry (first word) of guest cluster {@code c}, 0 when it has no L2 table. */
    private long entry(long c) throws IOException {
        long l2 = l1Entry((int) (c / perTable)) & OFFSET_MASK;
        if (l2 == 0) {
            return 0;
        }
        ByteBuffer e = ByteBuffer.allocate(entryBytes);
        Positional.readFully(ch, e, l2 + (c % perTable) * entryBytes, file);
        return e.getLong(0);
    }

    /**
     * True when QEMU's write of guest bytes [from, to) (inside one cluster) is one qimg does: into a normal
     * cluster this image owns alone (COPIED), or into an unallocated (or plain zero) cluster under an L2 table
     * this image owns or has not got yet.
     */
    private boolean writableInPlace(long from, long to) throws IOException {
        long c = from / clusterSize;
        long l1 = l1Entry((int) (c / perTable));
        long l2 = l1 & OFFSET_MASK;
        if (l2 == 0) {
            return true;
        }
        if ((l1 & COPIED) == 0) {
            return false;
        }
        ByteBuffer e = ByteBuffer.allocate(entryBytes);
        Positional.readFully(ch, e, l2 + (c % perTable) * entryBytes, file);
        long entry = e.getLong(0);
        if ((entry & COMPRESSED) != 0) {
            return false;
        }
        if ((entry & OFFSET_MASK) == 0) {
            return true;
        }
        return (entry & COPIED) != 0 && (h.hasExtendedL2() || (entry & Entries.ZERO) == 0);
    }

    /**
     * QEMU's guest write of zeros to [from, to) (inside one cluster): calculate_l2_meta's copy-on-write of the
     * partial subclusters (non-extended: the whole cluster around a new allocation), then the L2 entry.
     */
    private void headWrite(long from, long to) throws IOException {
        long c = from / clusterSize;
        long base = c * clusterSize;
        long l2 = ownedTable((int) (c / perTable));
        long at = l2 + (c % perTable) * entryBytes;
        ByteBuffer e = ByteBuffer.allocate(entryBytes);
        Positional.readFully(ch, e, at, file);
        long entry = e.getLong(0);
        long bitmap = h.hasExtendedL2() ? e.getLong(8) : 0;
        boolean owned = (entry & OFFSET_MASK) != 0;
        int first = (int) ((from - base) / subcluster);
        int last = (int) ((to - 1 - base) / subcluster);
        long host = owned ? entry & OFFSET_MASK : refs.allocateRun(1);
        long cowFrom;
        long cowTo;
        if (owned) {
            boolean firstAllocated = !h.hasExtendedL2() || (bitmap >>> first & 1) != 0;
            boolean lastAllocated = !h.hasExtendedL2() || (bitmap >>> last & 1) != 0;
            cowFrom = firstAllocated ? from - base : (long) first * subcluster;
            cowTo = lastAllocated ? to - base : (long) (last + 1) * subcluster;
        } else {
            cowFrom = (long) first * subcluster;
            cowTo = Math.min(clusterSize, (long) (last + 1) * subcluster);
        }
        byte[] buf = new byte[(int) (cowTo - cowFrom)];
        if (from - base > cowFrom) {
            byte[] head = new byte[(int) (from - base - cowFrom)];
            guest.read(base + cowFrom, head);
            System.arraycopy(head, 0, buf, 0, head.length);
        }
        if (cowTo > to - base) {
            byte[] tail = new byte[(int) (cowTo - (to - base))];
            guest.read(to, tail);
            System.arraycopy(tail, 0, buf, (int) (to - base - cowFrom), tail.length);
        }
        Positional.writeFully(ch, ByteBuffer.wrap(buf), host + cowFrom);
        if (owned && (!h.hasExtendedL2() || (bitmap & subRange(first, last)) == subRange(first, last))) {
            return;
        }
        e.putLong(0, host | COPIED);
        if (h.hasExtendedL2()) {
            e.putLong(8, (bitmap | subRange(first, last)) & ~(subRange(first, last) << 32));
        }
        ch.force(false);
        Positional.writeFully(ch, e.clear(), at);
    }

    private static long subRange(int first, int last) {
        return ((1L << (last - first + 1)) - 1) << first;
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
