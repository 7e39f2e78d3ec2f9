package org.qimg.format.qcow2.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.SnapshotInfo;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.QemuOpenRules;
import org.qimg.format.qcow2.layout.SnapshotEntryHead;

/** The internal snapshot table: entries of 40 fixed bytes, extra data, id, name, padded to 8 bytes. */
final class SnapshotTable {
    /** One table entry: what {@code info} shows plus where its L1 table is. */
    record Entry(SnapshotInfo info, long l1Offset, long l1Size, long tableOffset) {
    }

    private SnapshotTable() {
    }

    static List<Entry> read(FileChannel ch, Qcow2Header h) throws IOException {
        int count = h.nbSnapshots();
        List<Entry> out = new ArrayList<>(Math.min(count, 1024));
        String f = h.file().toString();
        long start = h.snapshotsOffset();
        long pos = start;
        ByteBuffer fixed = ByteBuffer.allocate(SnapshotEntryHead.BYTES);
        for (int i = 0; i < count; i++) {
            // as QEMU reads it: bytes past the end of the file are zeros
            fixed = QemuOpenRules.readZeroPadded(ch, h.file(), pos, SnapshotEntryHead.BYTES);
            SnapshotEntryHead head = SnapshotEntryHead.decode(fixed, 0);
            long extraLen = head.extraSize();
            if (extraLen > SnapshotEntryHead.MAX_EXTRA) {
                throw new FileOpenException(f, "Too much extra metadata in snapshot table entry " + i,
                        "You can force-remove this extra metadata with qemu-img check -r all\n",
                        new CorruptImageException(f, pos + SnapshotEntryHead.OFF_EXTRA_SIZE, "snapshot " + i + " has "
                        + extraLen + " bytes of extra data, more than the limit of " + SnapshotEntryHead.MAX_EXTRA));
            }
            long varLen = head.variableBytes();
            long entryLen = SnapshotEntryHead.padded(SnapshotEntryHead.BYTES + varLen);
            if (pos + entryLen - start > SnapshotEntryHead.MAX_TABLE_BYTES) {
                throw new FileOpenException(f, "Snapshot table is too big", "You can force-remove all "
                        + (count - i) + " overhanging snapshots with qemu-img check -r all\n", new ImageLimitException(f + ": offset "
                        + start + ": snapshot table exceeds the limit of " + SnapshotEntryHead.MAX_TABLE_BYTES
                        + " bytes at entry " + i));
            }
            ByteBuffer var = QemuOpenRules.readZeroPadded(ch, h.file(), pos + SnapshotEntryHead.BYTES, (int) varLen);
            long vmState = extraLen >= SnapshotEntryHead.EXTRA_VM_STATE + 8
                    ? var.getLong(SnapshotEntryHead.EXTRA_VM_STATE) : head.vmStateSize();
            long diskSize = extraLen >= SnapshotEntryHead.EXTRA_DISK_SIZE + 8
                    ? var.getLong(SnapshotEntryHead.EXTRA_DISK_SIZE) : -1;
            long icount = extraLen >= SnapshotEntryHead.EXTRA_ICOUNT + 8
                    ? var.getLong(SnapshotEntryHead.EXTRA_ICOUNT) : -1;
            int idLen = head.idSize();
            int nameLen = head.nameSize();
            String id = SnapshotEntryHead.text(var.array(), (int) extraLen, idLen);
            String name = SnapshotEntryHead.text(var.array(), (int) extraLen + idLen, nameLen);
            out.add(new Entry(new SnapshotInfo(id, name, vmState, head.dateSec(), head.dateNsec(),
                    head.vmClockNsec(), diskSize, icount), head.l1Offset(), head.l1Size(), pos));
            pos += entryLen;
        }
        return out;
    }

    /** The entry whose id is {@code idOrName}, else the first whose name is, else null. */
    static Entry find(List<Entry> entries, String idOrName) {
        for (Entry e : entries) {
            if (e.info().id().equals(idOrName)) {
                return e;
            }
        }
        for (Entry e : entries) {
            if (e.info().name().equals(idOrName)) {
                return e;
            }
        }
        return null;
    }
}
