package org.qimg.format.qcow2.check;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageException;
import org.qimg.format.io.LockPerms;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;

/**
 * {@code qemu-img check} for qcow2: recomputes every reference, compares it with the stored refcounts
 * (any width), checks OFLAG_COPIED, and optionally repairs, following QEMU 7.2's
 * {@code qcow2_check_refcounts}. Problems are reported line by line to a log sink in QEMU's wording.
 *
 * <p>Repairs write in place in an order that keeps an interrupted repair from making things worse:
 * refcounts are raised before any is lowered, a rebuilt refcount structure is written completely before
 * the header points at it, and the file is synced at the end.
 *
 * <p>Memory: the computed refcounts cost 2 bytes per host cluster in use ({@link RefcountArray}); tables
 * are streamed in pieces of at most a cluster (L1 in 64 KiB pieces); the refcount table (at most 8 MiB)
 * and up to 8 MiB of cached refcount blocks are held.
 */
public final class Qcow2Check {
    private Qcow2Check() {
    }

    /** Checks (and with {@code mode} repairs) the qcow2 image at {@code path}, holding QEMU's locks. */
    public static CheckResult run(Path path, CheckMode mode, Consumer<String> log) throws IOException {
        return run(path, mode, log, false);
    }

    /**
     * Checks (and with {@code mode} repairs) the qcow2 image at {@code path}. As qemu-img check, it first
     * locks the image (read, or read-write to repair; sharing everything with {@code forceShare}, which a
     * repair cannot use), its external data file and its backing chain, and fails with
     * {@link org.qimg.format.ImageLockException} when another process holds them incompatibly.
     */
    public static CheckResult run(Path path, CheckMode mode, Consumer<String> log, boolean forceShare)
            throws IOException {
        if (forceShare && mode.repairs()) {
            throw new ImageException("Could not open '" + path + "': force-share=on can only be used with read-only "
                    + "images");
        }
        LockPerms perms = mode.repairs() ? LockPerms.WRITE_SHARED : LockPerms.READ;
        try (CheckLocks locks = CheckLocks.image(path, perms, forceShare);
             ImageFile file = ImageFile.open(path, mode.repairs())) {
            CheckHeader h = CheckHeader.read(file);
            Path data = requireDataFile(path, h);
            if (data != null) {
                locks.dataFile(data);
            }
            locks.backingChain();
            if (h.staleBitmaps) {
                log.accept(h.version < 3
                        ? "warning: This qcow2 v2 image contains bitmaps, but they may have been modified by a program "
                                + "without persistent bitmap support; so now they must all be considered inconsistent"
                        : "warning: a program lacking bitmap support modified this file, so all bitmaps are now "
                                + "considered inconsistent");
                log.accept("Some clusters may be leaked, run 'qemu-img check -r' on the image file to fix.");
            }
            if (mode.repairs()) {
                clearUnknownAutoclearBits(file, h);
            }
            StoredRefcounts stored = new StoredRefcounts(file, h);
            CheckContext c = new CheckContext(file, h, stored, log, mode);
            c.bitmaps = CheckBitmaps.load(file, h);
            CheckSnapshots snaps;
            try {
                snaps = CheckSnapshots.read(c, mode.fixErrors());
            } catch (ReferenceScan.CheckFailure e) {
                c.res.failure = e.errno;
                c.res.unusable = c.unusable;
                return c.res;
            }
            protectMetadata(c, snaps);
            try {
                checkRefcounts(c, snaps.entries, snaps.size);
                snaps.fix(c);
            } catch (ReferenceScan.CheckFailure e) {
                c.res.failure = e.errno;
            }
            // as QEMU, the snapshot table's problems are added after the refcount check's
            c.res.corruptions += snaps.corruptions;
            c.res.corruptionsFixed += snaps.corruptionsFixed;
            if (mode.repairs()) {
                if (c.res.failure == null && c.res.checkErrors == 0 && c.res.corruptions == 0) {
                    markClean(c);
                }
                file.sync();
            }
            c.res.unusable = c.unusable;
            return c.res;
        }
    }

    /** QEMU opens the external data file before it checks: a missing one fails the check. */
    private static Path requireDataFile(Path path, CheckHeader h) throws IOException {
        if (!h.hasDataFile()) {
            return null;
        }
        Path name;
        try {
            name = Path.of(h.dataFileName);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ImageException(path + ": file name '" + h.dataFileName.replace("\0", "\\0")
                    + "' in the header is not a valid path: " + e.getReason());
        }
        Path dir = path.getParent();
        Path data = name.isAbsolute() || dir == null ? name : dir.resolve(name);
        if (!java.nio.file.Files.exists(data)) {
            throw new FileOpenException(path.toString(), "Could not open '" + data + "': No such file or directory");
        }
        return data;
    }

    /** What QEMU's overlap check guards: header, refcount table, active L1, snapshot table and L1 tables. */
    private static void protectMetadata(CheckContext c, CheckSnapshots snaps) {
        CheckHeader h = c.header;
        c.protect(0, c.clusterSize());
        c.protect(h.reftableOffset, h.reftableClusters << c.clusterBits());
        c.protect(h.l1Offset, Integer.toUnsignedLong(h.l1Size) * 8);
        c.protect(h.snapshotsOffset, snaps.size);
        for (CheckSnapshots.Entry sn : snaps.entries) {
            if ((sn.l1Offset() & (c.clusterSize() - 1)) == 0 && sn.l1Size() <= HeaderLayout.MAX_L1_BYTES / 8) {
                c.protect(sn.l1Offset(), sn.l1Size() * 8);
            }
        }
    }

    private static void checkRefcounts(CheckContext c, List<CheckSnapshots.Entry> snaps, long snapSize)
            throws IOException {
        CheckResult res = c.res;
        CheckMode fix = c.mode;
        long nbClusters = (c.file.length() + c.clusterSize() - 1) >>> c.clusterBits();
        if (nbClusters > RefcountArray.MAX_ENTRIES) {
            res.checkErrors++;
            throw ReferenceScan.failure("File too large", "more than 2^31 - 1 host clusters");
        }
        long vsize = c.header.virtualSize & ~511L; // whole sectors, as QEMU's total_sectors
        res.totalClusters = (vsize + c.clusterSize() - 1) >>> c.clusterBits();
        c.imrt = new RefcountArray(nbClusters);
        ReferenceScan scan = new ReferenceScan(c);
        boolean rebuild = scan.calculate(fix, snaps, snapSize);

        CheckResult preCompare = res.copy();
        boolean[] rebuildOut = {rebuild};
        long highest = compare(c, CheckMode.NONE, rebuildOut);
        rebuild = rebuildOut[0];

        if (rebuild && fix.fixErrors()) {
            CheckResult old = res.copy();
            long freshLeaks = 0;
            c.log.accept("Rebuilding refcount structure");
            new RefcountRebuild(c).run();
            res.corruptions = 0;
            res.leaks = 0;
            c.imrt.clear();
            boolean again = scan.calculate(CheckMode.NONE, snaps, snapSize);
            if (fix.fixLeaks()) {
                CheckResult saved = res.copy();
                res.restore(new CheckResult());
                rebuildOut[0] = again;
                highest = compare(c, CheckMode.LEAKS, rebuildOut);
                if (rebuildOut[0]) {
                    c.log.accept("ERROR rebuilt refcount structure is still broken");
                }
                freshLeaks = res.leaks;
                res.restore(saved);
            }
            if (res.corruptions < old.corruptions) {
                res.corruptionsFixed += old.corruptions - res.corruptions;
            }
            if (res.leaks < old.leaks) {
                res.leaksFixed += old.leaks - res.leaks;
            }
            res.leaks += freshLeaks;
        } else if (fix.repairs()) {
            if (rebuild) {
                c.log.accept("ERROR need to rebuild refcount structures");
                res.checkErrors++;
                throw ReferenceScan.failure("Input/output error", "refcount structure needs a rebuild");
            }
            if (res.leaks != 0 || res.corruptions != 0) {
                res.restore(preCompare);
                highest = compare(c, fix, rebuildOut);
            }
        }
        checkOflagCopied(c, fix);
        res.imageEndOffset = (highest + 1) << c.clusterBits();
    }

    /**
     * compare_refcounts: stored against computed refcount of every cluster. With a repair mode, the
     * too-low refcounts are raised in this pass and the too-high ones lowered in a second pass, so that
     * an interruption never leaves a used cluster with a refcount below its references.
     */
    static long compare(CheckContext c, CheckMode fix, boolean[] rebuild) throws IOException {
        CheckResult res = c.res;
        StoredRefcounts st = c.stored;
        long highest = 0;
        boolean lowerLater = false;
        long n = c.imrt.size();
        for (long i = 0; i < n; i++) {
            if (st.blockOffset(i) < 0) {
                long ti = i >>> st.blockBits();
                long block = st.tableEntry(ti) & Entries.REFTABLE_OFFSET_MASK;
                if ((block & (c.clusterSize() - 1)) != 0) {
                    c.signalCorruption("Refblock offset " + CheckContext.cHex(block) + " unaligned (reftable index: "
                            + CheckContext.cHex(ti) + ")");
                } // else an offset past 2^63: QEMU's read of the block fails without a corruption event
                c.log("Can't get refcount for cluster %d: Input/output error", i);
                res.checkErrors++;
                continue;
            }
            long stored = st.get(i);
            long computed = c.imrt.get(i);
            if (stored != 0 || computed != 0) {
                highest = i;
            }
            if (stored == computed) {
                continue;
            }
            int cmp = Long.compareUnsigned(stored, computed);
            boolean fixing = false;
            if (stored == 0) {
                rebuild[0] = true;
            } else if (cmp > 0 && fix.fixLeaks()) {
                fixing = true;
                res.leaksFixed++;
                lowerLater = true;
            } else if (cmp < 0 && fix.fixErrors()) {
                fixing = true;
                st.set(i, computed);
                res.corruptionsFixed++;
            }
            c.log("%s cluster %d refcount=%s reference=%s", fixing ? "Repairing" : cmp < 0 ? "ERROR" : "Leaked", i,
                    Long.toUnsignedString(stored), Long.toUnsignedString(computed));
            if (!fixing) {
                if (cmp < 0) {
                    res.corruptions++;
                } else {
                    res.leaks++;
                }
            }
        }
        if (lowerLater) {
            java.util.List<long[]> freed = new java.util.ArrayList<>();
            c.file.sync();
            for (long i = 0; i < n; i++) {
                if (st.blockOffset(i) < 0) {
                    continue;
                }
                long stored = st.get(i);
                long computed = c.imrt.get(i);
                if (stored != 0 && Long.compareUnsigned(stored, computed) > 0) {
                    st.set(i, computed);
                    if (computed == 0) {
                        freed.add(new long[] {i << c.clusterBits(), c.clusterSize()});
                    }
                }
            }
            // QEMU frees leaks with QCOW2_DISCARD_ALWAYS: a cluster whose refcount drops to 0 is discarded from
            // the file (reads as zeros), even when the refcount change itself is lost (an unusable image)
            c.file.sync();
            org.qimg.format.raw.HostFiles.punchHoles(c.file.path(), freed.toArray(new long[0][]));
        }
        return highest;
    }

    /** check_oflag_copied: COPIED must be set exactly when the refcount is 1 (active L1 and its L2 tables). */
    private static void checkOflagCopied(CheckContext c, CheckMode fix) throws IOException {
        CheckResult res = c.res;
        boolean repair = fix.fixErrors()
                || fix.fixLeaks() && res.checkErrors == 0 && res.corruptions == 0 && res.leaks == 0;
        CheckHeader h = c.header;
        long l1Size = Integer.toUnsignedLong(h.l1Size);
        int cs = (int) c.clusterSize();
        byte[] l2 = new byte[cs];
        byte[] l1e = new byte[8];
        StoredRefcounts st = c.stored;
        for (long i = 0; i < l1Size; i++) {
            long at = h.l1Offset + i * 8;
            if (at >= c.file.length()) {
                break;
            }
            c.file.read(at, l1e, 8);
            long entry = ByteBuffer.wrap(l1e).getLong();
            long l2Offset = entry & Entries.OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            long cl = l2Offset >>> c.clusterBits();
            if (st.blockOffset(cl) >= 0) {
                long rc = st.get(cl);
                if ((rc == 1) != ((entry & Entries.COPIED) != 0)) {
                    res.corruptions++;
                    c.log("%s OFLAG_COPIED L2 cluster: l1_index=%d l1_entry=%x refcount=%s",
                            repair ? "Repairing" : "ERROR", i, entry, Long.toUnsignedString(rc));
                    if (repair) {
                        long fixed = rc == 1 ? entry | Entries.COPIED : entry & ~Entries.COPIED;
                        c.file.write(at, ByteBuffer.allocate(8).putLong(0, fixed).array(), 0, 8);
                        res.corruptions--;
                        res.corruptionsFixed++;
                    }
                }
            }
            c.file.read(l2Offset, l2, cs);
            ByteBuffer b = ByteBuffer.wrap(l2);
            int dirty = 0;
            for (int j = 0; j < h.l2Entries(); j++) {
                int pos = j * h.l2EntrySize();
                long e = b.getLong(pos);
                Entries.Type t = Entries.type(e, h.extendedL2(), h.hasDataFile());
                if (t != Entries.Type.NORMAL && t != Entries.Type.ZERO_ALLOC) {
                    continue;
                }
                long rc = 1; // every cluster of an external data file counts as referenced once
                if (!h.hasDataFile()) {
                    long dc = (e & Entries.OFFSET_MASK) >>> c.clusterBits();
                    if (st.blockOffset(dc) < 0) {
                        continue;
                    }
                    rc = st.get(dc);
                }
                if ((rc == 1) != ((e & Entries.COPIED) != 0)) {
                    res.corruptions++;
                    c.log("%s OFLAG_COPIED data cluster: l2_entry=%x refcount=%s", repair ? "Repairing" : "ERROR", e,
                            Long.toUnsignedString(rc));
                    if (repair) {
                        b.putLong(pos, rc == 1 ? e | Entries.COPIED : e & ~Entries.COPIED);
                        dirty++;
                    }
                }
            }
            if (dirty > 0) {
                c.file.write(l2Offset, l2, 0, cs);
                res.corruptions -= dirty;
                res.corruptionsFixed += dirty;
            }
        }
    }

    /**
     * A program that writes an image must clear the autoclear bits it does not know (qcow2 spec); QEMU does
     * so when it opens the image for a repair, before the check.
     */
    private static void clearUnknownAutoclearBits(ImageFile file, CheckHeader h) throws IOException {
        long unknown = h.autoclear & ~HeaderLayout.AUTOCLEAR_KNOWN;
        if (h.version < 3 || unknown == 0) {
            return;
        }
        h.autoclear &= HeaderLayout.AUTOCLEAR_KNOWN;
        file.write(HeaderLayout.OFF_AUTOCLEAR, ByteBuffer.allocate(8).putLong(0, h.autoclear).array(), 0, 8);
        file.sync();
    }

    /** After a successful repair QEMU clears the dirty and corrupt bits (qcow2_mark_clean/consistent). */
    private static void markClean(CheckContext c) throws IOException {
        CheckHeader h = c.header;
        c.stored.writeHeld();
        long bits = HeaderLayout.INCOMPAT_DIRTY | HeaderLayout.INCOMPAT_CORRUPT;
        if (h.version < 3 || (h.incompatible & bits) == 0) {
            return;
        }
        c.file.sync();
        h.incompatible &= ~bits;
        c.file.write(HeaderLayout.OFF_INCOMPAT, ByteBuffer.allocate(8).putLong(0, h.incompatible).array(), 0, 8);
    }
}
