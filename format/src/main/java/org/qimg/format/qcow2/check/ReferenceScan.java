package org.qimg.format.qcow2.check;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.qcow2.layout.BitmapRules;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;

/**
 * Rebuilds every reference in memory (QEMU's {@code calculate_refcounts}): header, active and snapshot
 * L1/L2 tables and the data they map, the snapshot table, the refcount table and blocks, and the bitmap
 * directory, tables and data. Each host cluster a structure touches gets +1. Checks the entries on the way.
 */
final class ReferenceScan {
    private static final int L1_CHUNK = 8192;

    private final CheckContext c;
    private final byte[] l2buf;

    ReferenceScan(CheckContext c) {
        this.c = c;
        this.l2buf = new byte[(int) c.clusterSize()];
    }

    /** Adds one reference to every cluster [offset, offset + size) touches (qcow2_inc_refcounts_imrt). */
    void incRefs(long offset, long size) {
        if (size <= 0) {
            return;
        }
        long cs = c.clusterSize();
        if (offset + size - c.file.length() >= cs) {
            c.log("ERROR: counting reference for region exceeding the end of the file by one cluster or more: "
                    + "offset 0x%x size 0x%x", offset, size);
            c.res.corruptions++;
            return;
        }
        long first = offset >>> c.clusterBits();
        long last = (offset + size - 1) >>> c.clusterBits();
        for (long k = first; k <= last; k++) {
            if (k >= c.imrt.size()) {
                c.imrt.grow(k + 1);
            }
            if (!c.imrt.increment(k, c.refcountMax())) {
                c.log("ERROR: overflow cluster offset=0x%x", k << c.clusterBits());
                c.noteOverflow(k);
                c.log("Use qemu-img amend to increase the refcount entry width or qemu-img convert to create a "
                        + "clean copy if the image cannot be opened for writing");
                c.res.corruptions++;
            }
        }
    }

    /** calculate_refcounts: fills {@code c.imrt}; returns true when the refcount structure must be rebuilt. */
    boolean calculate(CheckMode fix, List<CheckSnapshots.Entry> snapshots, long snapshotsSize) throws IOException {
        CheckHeader h = c.header;
        incRefs(0, c.clusterSize());
        checkL1(h.l1Offset, Integer.toUnsignedLong(h.l1Size), true, fix);
        if (h.hasDataFile() && !snapshots.isEmpty()) {
            c.log("ERROR %d snapshots in image with data file", snapshots.size());
            c.res.corruptions++;
        }
        for (CheckSnapshots.Entry sn : snapshots) {
            if ((sn.l1Offset() & (c.clusterSize() - 1)) != 0) {
                c.log("ERROR snapshot %s (%s) l1_offset=%#x: L1 table is not cluster aligned; snapshot table entry "
                        + "corrupted", sn.id(), sn.name(), sn.l1Offset());
                c.res.corruptions++;
                continue;
            }
            if (sn.l1Size() > HeaderLayout.MAX_L1_BYTES / 8) {
                c.log("ERROR snapshot %s (%s) l1_size=%#x: L1 table is too large; snapshot table entry corrupted",
                        sn.id(), sn.name(), sn.l1Size());
                c.res.corruptions++;
                continue;
            }
            checkL1(sn.l1Offset(), sn.l1Size(), false, fix);
        }
        incRefs(h.snapshotsOffset, snapshotsSize);
        incRefs(h.reftableOffset, c.stored.tableEntries() * 8);
        checkBitmaps();
        return checkRefblocks(fix);
    }

    private void checkL1(long l1Offset, long l1Size, boolean active, CheckMode fix) throws IOException {
        if (l1Size == 0) {
            return;
        }
        incRefs(l1Offset, l1Size * 8);
        byte[] chunk = new byte[(int) Math.min(l1Size, L1_CHUNK) * 8];
        for (long base = 0; base < l1Size; base += L1_CHUNK) {
            int n = (int) Math.min(L1_CHUNK, l1Size - base);
            long at = l1Offset + base * 8;
            if (at >= c.file.length()) {
                break; // the rest reads as zeros: no L2 tables
            }
            c.file.read(at, chunk, n * 8);
            ByteBuffer b = ByteBuffer.wrap(chunk);
            for (int i = 0; i < n; i++) {
                long e = b.getLong(i * 8);
                if (e == 0) {
                    continue;
                }
                if ((e & Entries.L1_RESERVED_MASK) != 0) {
                    c.log("ERROR found L1 entry with reserved bits set: %x", e);
                    c.res.corruptions++;
                }
                long l2 = e & Entries.OFFSET_MASK;
                incRefs(l2, c.clusterSize());
                if ((l2 & (c.clusterSize() - 1)) != 0) {
                    c.log("ERROR l2_offset=%x: Table is not cluster aligned; L1 entry corrupted", l2);
                    c.res.corruptions++;
                }
                checkL2(l2, active, fix);
            }
        }
    }

    private void checkL2(long l2Offset, boolean active, CheckMode fix) throws IOException {
        CheckHeader h = c.header;
        boolean ext = h.extendedL2();
        int esize = h.l2EntrySize();
        c.file.read(l2Offset, l2buf, l2buf.length);
        ByteBuffer b = ByteBuffer.wrap(l2buf);
        long nextContiguous = 0;
        CheckResult res = c.res;
        for (int i = 0; i < h.l2Entries(); i++) {
            long e = b.getLong(i * esize);
            long bitmap = ext ? b.getLong(i * esize + 8) : 0;
            Entries.Type type = Entries.type(e, ext, h.hasDataFile());
            if (type != Entries.Type.COMPRESSED && (e & Entries.L2_STD_RESERVED_MASK) != 0) {
                c.log("ERROR found l2 entry with reserved bits set: %x", e);
                res.corruptions++;
            }
            switch (type) {
                case COMPRESSED -> {
                    if ((e & Entries.COPIED) != 0) {
                        c.log("ERROR: coffset=0x%x: copied flag must never be set for compressed clusters",
                                Entries.compressedOffset(e, c.clusterBits()));
                        e &= ~Entries.COPIED;
                        res.corruptions++;
                    }
                    if (h.hasDataFile()) {
                        c.log("ERROR compressed cluster %d with data file, entry=0x%x", i, e);
                        res.corruptions++;
                        break;
                    }
                    if (bitmap != 0) {
                        c.log("ERROR compressed cluster %d with non-zero subcluster allocation bitmap, entry=0x%x",
                                i, e);
                        res.corruptions++;
                        break;
                    }
                    incRefs(Entries.compressedOffset(e, c.clusterBits()),
                            Entries.compressedSpan(e, c.clusterBits()));
                    if (active) {
                        res.allocatedClusters++;
                        res.compressedClusters++;
                        res.fragmentedClusters++;
                    }
                }
                case ZERO_ALLOC, NORMAL -> {
                    long off = e & Entries.OFFSET_MASK;
                    if (((bitmap >>> 32) & bitmap) != 0) {
                        res.corruptions++;
                        c.log("ERROR offset=%x: Allocated cluster has corrupted subcluster allocation bitmap", off);
                    }
                    if ((off & (c.clusterSize() - 1)) != 0) {
                        res.corruptions++;
                        boolean data = ext ? (bitmap & Entries.SUBCLUSTERS_ALLOCATED) != 0 : (e & Entries.ZERO) == 0;
                        if (!data) {
                            c.log("%s offset=%x: Preallocated cluster is not properly aligned; L2 entry corrupted.",
                                    fix.fixErrors() ? "Repairing" : "ERROR", off);
                            if (fix.fixErrors() && zeroEntry(l2Offset, i, bitmap)) {
                                continue;
                            }
                        } else {
                            c.log("ERROR offset=%x: Data cluster is not properly aligned; L2 entry corrupted.", off);
                        }
                    }
                    if (active) {
                        res.allocatedClusters++;
                        if (nextContiguous != 0 && off != nextContiguous) {
                            res.fragmentedClusters++;
                        }
                        nextContiguous = off + c.clusterSize();
                    }
                    if (!h.hasDataFile()) { // data file clusters have no refcounts here
                        incRefs(off, c.clusterSize());
                    }
                }
                case ZERO_PLAIN -> {
                }
                case UNALLOCATED -> {
                    if ((bitmap & Entries.SUBCLUSTERS_ALLOCATED) != 0) {
                        res.corruptions++;
                        c.log("ERROR: Unallocated cluster has non-zero subcluster allocation map");
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** fix_l2_entry_by_zero: turns an unaligned preallocated zero cluster into a plain zero cluster. */
    private boolean zeroEntry(long l2Offset, int index, long bitmap) throws IOException {
        CheckHeader h = c.header;
        ByteBuffer e = ByteBuffer.allocate(h.l2EntrySize());
        if (h.extendedL2()) {
            long bm = bitmap | (bitmap << 32);
            e.putLong(0, 0).putLong(8, bm & Entries.SUBCLUSTERS_ZERO);
        } else {
            e.putLong(0, Entries.ZERO);
        }
        long at = l2Offset + (long) index * h.l2EntrySize();
        c.file.write(at, e.array(), 0, e.capacity());
        c.file.sync();
        System.arraycopy(e.array(), 0, l2buf, index * h.l2EntrySize(), e.capacity());
        c.res.corruptions--;
        c.res.corruptionsFixed++;
        return true;
    }

    /**
     * qcow2_check_bitmaps_refcounts: the directory, each bitmap table and the clusters it points at. The
     * directory and the tables of bitmaps not in use passed {@link CheckBitmaps#load} when the image was
     * opened; a bad entry in the table of a bitmap in use is one corruption and ends the check.
     */
    private void checkBitmaps() throws IOException {
        CheckHeader h = c.header;
        if (h.bitmapCount == 0) {
            return;
        }
        incRefs(h.bitmapDirOffset, h.bitmapDirSize);
        for (CheckBitmaps.Bitmap bm : c.bitmaps) {
            incRefs(bm.tableOffset(), bm.tableSize() * 8);
            if (CheckBitmaps.firstBadEntry(c.file, bm, h.clusterSize()) >= 0) {
                c.res.corruptions++;
                throw failure("Invalid argument", "bitmap '" + bm.name() + "' has an invalid table entry");
            }
            ByteBuffer t = ByteBuffer.wrap(c.file.read(bm.tableOffset(), (int) (bm.tableSize() * 8)));
            for (int i = 0; i < bm.tableSize(); i++) {
                long off = t.getLong(i * 8) & BitmapRules.TABLE_OFFSET_MASK;
                if (off != 0) {
                    incRefs(off, c.clusterSize());
                }
            }
        }
    }

    /** check_refblocks: counts each refcount block; returns true when the structure must be rebuilt. */
    private boolean checkRefblocks(CheckMode fix) throws IOException {
        boolean rebuild = false;
        StoredRefcounts st = c.stored;
        for (long i = 0; i < st.tableEntries(); i++) {
            long e = st.tableEntry(i);
            long off = e & Entries.REFTABLE_OFFSET_MASK;
            long cluster = off >>> c.clusterBits();
            if ((e & Entries.REFTABLE_RESERVED_MASK) != 0) {
                c.log("ERROR refcount table entry %d has reserved bits set", i);
                c.res.corruptions++;
                rebuild = true;
                continue;
            }
            if ((off & (c.clusterSize() - 1)) != 0) {
                c.log("ERROR refcount block %d is not cluster aligned; refcount table entry corrupted", i);
                c.res.corruptions++;
                rebuild = true;
                continue;
            }
            if (cluster >= c.imrt.size()) {
                c.res.corruptions++;
                c.log("%s refcount block %d is outside image", fix.fixErrors() ? "Repairing" : "ERROR", i);
                if (fix.fixErrors()) {
                    // as QEMU: grow the file to hold the block; if that cannot be done, rebuild instead
                    String failure = growFor(off);
                    if (failure != null) {
                        rebuild = true;
                        c.log("ERROR could not resize image: %s", failure);
                        continue;
                    }
                    c.imrt.grow((c.file.length() + c.clusterSize() - 1) >>> c.clusterBits());
                    c.res.corruptions--;
                    c.res.corruptionsFixed++;
                    incRefs(off, c.clusterSize());
                }
                continue;
            }
            if (off != 0) {
                incRefs(off, c.clusterSize());
                if (c.imrt.get(cluster) != 1) {
                    c.log("ERROR refcount block %d refcount=%s", i, Long.toUnsignedString(c.imrt.get(cluster)));
                    c.res.corruptions++;
                    rebuild = true;
                }
            }
        }
        return rebuild;
    }

    /**
     * Grows the file so that the refcount block at {@code off} lies inside it; returns null, or the reason
     * it cannot (an offset past 2^63 - cluster size, more host clusters than a check can count, or the
     * file system refusing the size).
     */
    private String growFor(long off) {
        long cs = c.clusterSize();
        if (off < 0 || off > Long.MAX_VALUE - cs) {
            return "Invalid argument";
        }
        String failure = null;
        if (((off + cs + cs - 1) >>> c.clusterBits()) > RefcountArray.MAX_ENTRIES) {
            failure = "File too large"; // what the file system says for such sizes (and past them QEMU)
        } else {
            try {
                c.file.growTo(off + cs);
            } catch (IOException e) {
                failure = e.getMessage() != null ? e.getMessage() : "Input/output error";
            }
        }
        if (failure != null) {
            c.log("Could not resize file: %s", failure); // QEMU's report of the failed truncate
        }
        return failure;
    }

    /** Reads the snapshot table (QEMU refuses to open an image whose table is malformed; so do we). */
    static CheckFailure failure(String errno, String detail) {
        return new CheckFailure(errno, detail);
    }

    /** The check cannot go on (QEMU returns -errno): qemu-img prints "Check failed: <errno text>". */
    static final class CheckFailure extends IOException {
        private static final long serialVersionUID = 1L;
        final String errno;

        CheckFailure(String errno, String detail) {
            super(detail);
            this.errno = errno;
        }
    }
}
