package org.qimg.format.qcow2.check;

import static org.qimg.format.qcow2.layout.SnapshotEntryHead.EXTRA_DISK_SIZE;
import static org.qimg.format.qcow2.layout.SnapshotEntryHead.EXTRA_ICOUNT;
import static org.qimg.format.qcow2.layout.SnapshotEntryHead.EXTRA_VM_STATE;
import static org.qimg.format.qcow2.layout.SnapshotEntryHead.KNOWN_EXTRA;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.SnapshotEntryHead;

/**
 * The snapshot table as {@code qemu-img check} reads and repairs it (QEMU 7.2's
 * {@code qcow2_check_read_snapshot_table} and {@code qcow2_check_fix_snapshot_table}). Its problems are
 * counted apart from the refcount check's, and added to the result at the end, as QEMU does.
 *
 * <p>Two problems are repaired with {@code -r all}, by writing the whole table anew: a v3 entry with
 * less than the 16 bytes of extra data every v3 entry needs, and an entry with more than 1024 bytes of
 * extra data (the excess is dropped). The new table goes into free clusters whose refcounts are raised
 * first; the header is pointed at it only once it is on disk; the old table's clusters are released last.
 */
final class CheckSnapshots {
    private static final long MAX_EXTRA = SnapshotEntryHead.MAX_EXTRA;
    private static final int ENTRY_HEAD = SnapshotEntryHead.BYTES;

    /**
     * One entry. {@code fixed} is its 40-byte head (l1_table_offset 0, l1_size 8, id_str_size 12, name_size
     * 14, date_sec 16, date_nsec 20, vm_clock_nsec 24, vm_state_size 32, extra_data_size 36), {@code extra}
     * the extra data kept (at most 1024 bytes); {@code idBytes} and {@code nameBytes} are the id and name as
     * QEMU keeps them, C strings cut at the first NUL (so it prints and writes them back).
     */
    record Entry(long l1Offset, long l1Size, long extraDataSize, byte[] fixed, byte[] extra, byte[] idBytes,
                 byte[] nameBytes) {
        /** The id as text, for messages only (a table holds up to 64 MiB, kept once as bytes). */
        String id() {
            return new String(idBytes, StandardCharsets.UTF_8);
        }

        String name() {
            return new String(nameBytes, StandardCharsets.UTF_8);
        }
    }

    final List<Entry> entries = new ArrayList<>();
    /** Bytes the table spans in the file (what its clusters are counted from). */
    long size;
    long corruptions;
    long corruptionsFixed;
    /** The file's length when the table was read (what the refcount pass measured it against). */
    private long lengthAtRead;

    private CheckSnapshots() {
    }

    /**
     * Reads the table as qcow2_check_read_snapshot_table does. Without {@code repair}, more than 65536
     * snapshots, a table pointer QEMU's qcow2_validate_table refuses, extra data over 1024 bytes or a table
     * over 64 MiB fail the check ({@link ReferenceScan.CheckFailure}, after QEMU's lines). With
     * {@code repair}, the snapshots past 65536 or past 64 MiB are dropped at once (the header's count is
     * rewritten; what they referenced becomes leaks for the refcount pass), and extra data over 1024 bytes
     * is cut, which counts a corruption that {@link #fix} repairs.
     */
    static CheckSnapshots read(CheckContext c, boolean repair) throws IOException {
        CheckSnapshots t = new CheckSnapshots();
        CheckHeader h = c.header;
        ImageFile file = c.file;
        long count = h.nbSnapshots;
        long dropped = 0;
        if (count > HeaderLayout.MAX_SNAPSHOTS && repair) {
            c.log("Discarding %d overhanging snapshots", count - HeaderLayout.MAX_SNAPSHOTS);
            dropped += count - HeaderLayout.MAX_SNAPSHOTS;
            count = HeaderLayout.MAX_SNAPSHOTS;
        }
        String invalid = null;
        String errno = null;
        if (count > HeaderLayout.MAX_SNAPSHOTS) {
            invalid = "snapshot table too large";
            errno = "File too large";
        } else if ((h.snapshotsOffset & (c.clusterSize() - 1)) != 0
                || Long.compareUnsigned(h.snapshotsOffset, Long.MAX_VALUE - count * ENTRY_HEAD) > 0) {
            invalid = "snapshot table offset invalid";
            errno = "Invalid argument";
        }
        if (invalid != null) {
            c.res.checkErrors++;
            // QEMU's error_reportf_err: the line carries the program's name, as qemu-img's does
            c.log.accept("qimg: ERROR " + invalid);
            if (count > HeaderLayout.MAX_SNAPSHOTS) {
                c.log("You can force-remove all %d overhanging snapshots with qemu-img check -r all",
                        count - HeaderLayout.MAX_SNAPSHOTS);
            }
            throw ReferenceScan.failure(errno, invalid);
        }
        long pos = h.snapshotsOffset;
        long tableLength = 0;
        long extraDropped = 0;
        for (int i = 0; i < count; i++) {
            long entryStart = pos;
            tableLength = (tableLength + 7) & ~7L;
            pos = (pos + 7) & ~7L;
            byte[] fixed = file.read(pos, ENTRY_HEAD);
            SnapshotEntryHead head = SnapshotEntryHead.decode(ByteBuffer.wrap(fixed), 0);
            int idSize = head.idSize();
            int nameSize = head.nameSize();
            long extra = head.extraSize();
            boolean cut = false;
            if (extra > MAX_EXTRA) {
                if (!repair) {
                    c.res.checkErrors++;
                    c.log("qimg: ERROR failed to read the snapshot table: Too much extra metadata in snapshot table entry %d",
                            i);
                    c.log.accept("You can force-remove this extra metadata with qemu-img check -r all");
                    throw ReferenceScan.failure("File too large", "snapshot " + i + ": extra data of " + extra
                            + " bytes exceeds " + MAX_EXTRA);
                }
                c.log("Discarding too much extra metadata in snapshot table entry %d (%d > %d)", i, extra, MAX_EXTRA);
                extraDropped++;
                cut = true;
            }
            long keptSize = cut ? MAX_EXTRA : extra;
            byte[] kept = file.read(pos + ENTRY_HEAD, (int) keptSize);
            pos += ENTRY_HEAD + extra;
            byte[] id = file.read(pos, idSize);
            pos += idSize;
            byte[] name = file.read(pos, nameSize);
            pos += nameSize;
            // QEMU measures the table with the extra data as kept, and the file span as it is
            tableLength += ENTRY_HEAD + keptSize + idSize + nameSize;
            if (tableLength > SnapshotEntryHead.MAX_TABLE_BYTES || pos - h.snapshotsOffset > Integer.MAX_VALUE) {
                if (!repair) {
                    c.res.checkErrors++;
                    c.log.accept("qimg: ERROR failed to read the snapshot table: Snapshot table is too big");
                    c.log("You can force-remove all %d overhanging snapshots with qemu-img check -r all", count - i);
                    throw ReferenceScan.failure("File too large", "snapshot table is too big");
                }
                c.log("Discarding %d overhanging snapshots (snapshot table is too big)", count - i);
                dropped += count - i;
                pos = entryStart;
                break;
            }
            t.entries.add(new Entry(head.l1Offset(), head.l1Size(), keptSize, fixed, kept,
                    cString(id), cString(name)));
        }
        t.size = pos - h.snapshotsOffset;
        t.lengthAtRead = file.length();
        t.corruptions += extraDropped;
        if (dropped > 0) {
            // as QEMU: the header gets the new count at once, so that the refcount pass sees the same table
            byte[] n = ByteBuffer.allocate(4).putInt(t.entries.size()).array();
            file.write(HeaderLayout.OFF_NB_SNAPSHOTS, n, 0, 4);
            file.sync();
            h.nbSnapshots = t.entries.size();
            t.corruptionsFixed += dropped;
        }
        if (h.version >= 3) {
            for (int i = 0; i < t.entries.size(); i++) {
                if (t.entries.get(i).extraDataSize() < 16) {
                    t.corruptions++;
                    c.log("%s snapshot table entry %d is incomplete", repair ? "Repairing" : "ERROR", i);
                }
            }
        }
        return t;
    }

    /** qcow2_check_fix_snapshot_table: rewrites the table when it had problems and errors are repaired. */
    void fix(CheckContext c) throws IOException {
        if (corruptions == 0 || !c.mode.fixErrors()) {
            return;
        }
        byte[] table = encode(c.header);
        long clusters = (table.length + c.clusterSize() - 1) >>> c.clusterBits();
        long at = table.length == 0 ? 0 : allocate(c, clusters);
        if (at < 0) {
            c.res.checkErrors++;
            c.log.accept("ERROR failed to update snapshot table: No space left on device");
            return;
        }
        if (table.length > 0) {
            c.file.write(at, table, 0, table.length);
        }
        c.file.sync();
        // nb_snapshots and snapshots_offset are adjacent: one write moves both
        ByteBuffer hdr = ByteBuffer.allocate(12).putInt(entries.size()).putLong(at);
        c.file.write(HeaderLayout.OFF_NB_SNAPSHOTS, hdr.array(), 0, 12);
        c.file.sync();
        release(c, c.header.snapshotsOffset, size);
        c.header.snapshotsOffset = at;
        size = table.length;
        corruptionsFixed += corruptions;
        corruptions = 0;
    }

    /** The table as qcow2_write_snapshots lays it out: every entry with at least 24 bytes of extra data. */
    byte[] encode(CheckHeader h) {
        ByteBuffer out = ByteBuffer.allocate((int) encodedSize());
        for (Entry e : entries) {
            out.position((out.position() + 7) & ~7);
            ByteBuffer x = ByteBuffer.wrap(Arrays.copyOf(e.extra(), Math.max(KNOWN_EXTRA, e.extra().length)));
            int kept = e.extra().length;
            SnapshotEntryHead head = SnapshotEntryHead.decode(ByteBuffer.wrap(e.fixed()), 0);
            long vmState = kept >= EXTRA_VM_STATE + 8 ? x.getLong(EXTRA_VM_STATE) : head.vmStateSize();
            long diskSize = kept >= EXTRA_DISK_SIZE + 8 ? x.getLong(EXTRA_DISK_SIZE) : h.virtualSize & ~511L;
            long icount = kept >= EXTRA_ICOUNT + 8 ? x.getLong(EXTRA_ICOUNT) : -1L;
            x.putLong(EXTRA_VM_STATE, vmState).putLong(EXTRA_DISK_SIZE, diskSize).putLong(EXTRA_ICOUNT, icount);
            byte[] id = e.idBytes();
            byte[] name = e.nameBytes();
            new SnapshotEntryHead(e.l1Offset(), e.l1Size(), id.length, name.length, head.dateSec(), head.dateNsec(),
                    head.vmClockNsec(), Long.compareUnsigned(vmState, 0xffffffffL) <= 0 ? vmState : 0, x.capacity())
                    .encode(out);
            out.put(x.array()).put(id).put(name);
        }
        return out.array();
    }

    private long encodedSize() {
        long n = 0;
        for (Entry e : entries) {
            n = (n + 7) & ~7L;
            n += ENTRY_HEAD + Math.max(KNOWN_EXTRA, e.extra().length) + e.idBytes().length + e.nameBytes().length;
        }
        return n;
    }

    /** QEMU keeps names as C strings: whatever follows a NUL is lost when it writes them back. */
    private static byte[] cString(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return Arrays.copyOf(b, i);
            }
        }
        return b;
    }

    /**
     * The first run of {@code n} clusters with stored refcount 0 that existing refcount blocks cover
     * (the end of the file included), now given refcount 1; -1 when there is none.
     */
    private static long allocate(CheckContext c, long n) throws IOException {
        StoredRefcounts st = c.stored;
        long fileClusters = (c.file.length() + c.clusterSize() - 1) >>> c.clusterBits();
        long limit = Math.max(fileClusters + n, c.imrt.size());
        long run = 0;
        for (long k = 0; k < limit; k++) {
            long block = st.blockOffset(k);
            boolean free = block > 0 && st.get(k) == 0 && c.protectedUntil(k) < 0;
            run = free ? run + 1 : 0;
            if (run == n) {
                long first = k - n + 1;
                for (long j = first; j <= k; j++) {
                    st.set(j, 1);
                }
                return first << c.clusterBits();
            }
        }
        return -1;
    }

    /**
     * Lowers by one the refcount of every cluster [offset, offset + bytes) touches, all or none, as QEMU's
     * qcow2_free_clusters (which undoes the whole update when one refcount would drop below 0); a cluster
     * that becomes free is zeroed, as QEMU discards it (its default pass-discard-snapshot).
     *
     * <p>Unlike QEMU, nothing is released unless the check counted exactly the references the refcounts
     * now hold: not when the old table reached a cluster or more past the end of the file (the check did
     * not count it, so its clusters hold no reference of the table), not when a cluster of it has more
     * references than its refcount width holds, nor the header cluster. Lowering those would take the
     * reference of whatever else lies there, and zeroing it would destroy it (QEMU does so with the header
     * of a refcount_bits=1 image whose snapshot table pointer is 0). The old clusters then stay leaked.
     */
    private void release(CheckContext c, long offset, long bytes) throws IOException {
        if (bytes <= 0 || offset + bytes - lengthAtRead >= c.clusterSize()) {
            return;
        }
        StoredRefcounts st = c.stored;
        long first = offset >>> c.clusterBits();
        long last = (offset + bytes - 1) >>> c.clusterBits();
        if (first == 0) {
            return;
        }
        for (long k = first; k <= last; k++) {
            if (st.blockOffset(k) <= 0 || k >= c.imrt.size() || c.mayBeOverflowed(k)) {
                return;
            }
            long rc = st.get(k);
            if (rc == 0 || rc != c.imrt.get(k)) {
                return;
            }
        }
        for (long k = first; k <= last; k++) {
            long rc = st.get(k);
            st.set(k, rc - 1);
            long at = k << c.clusterBits();
            if (rc == 1 && at < c.file.length()) {
                int len = (int) Math.min(c.clusterSize(), c.file.length() - at);
                c.file.write(at, new byte[len], 0, len);
            }
        }
    }
}
