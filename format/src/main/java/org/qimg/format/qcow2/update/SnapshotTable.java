package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.qcow2.layout.QemuOpenRules;
import org.qimg.format.qcow2.layout.SnapshotEntryHead;

/**
 * The snapshot table of a qcow2 image as the in-place snapshot operations need it: every entry with its
 * extra data kept (unknown extra data included), and the table encoded back as QEMU's
 * {@code qcow2_write_snapshots} writes it (extra data at least the 24 bytes QEMU knows).
 */
final class SnapshotTable {
    /** One entry; {@code extra} is the stored extra data, {@code l1Offset}/{@code l1Size} the snapshot's L1. */
    record Entry(SnapshotEntryHead head, byte[] extra, String id, String name) {
        long l1Offset() {
            return head.l1Offset();
        }

        int l1Size() {
            return (int) head.l1Size();
        }

        /** Bytes this entry takes when written back, without the padding to the next entry. */
        long unpaddedLength() {
            return SnapshotEntryHead.BYTES + Math.max(SnapshotEntryHead.KNOWN_EXTRA, extra.length)
                    + utf8(id).length + utf8(name).length;
        }
    }

    private SnapshotTable() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The entries and the bytes the table takes on disk (what QEMU frees when it writes a new one). */
    record Table(List<Entry> entries, long length) {
    }

    /** Reads {@code count} entries from {@code offset}, each checked to lie inside the file. */
    static Table read(FileChannel ch, Path file, long offset, int count) throws IOException {
        List<Entry> out = new ArrayList<>(count);
        long at = offset;
        long end = offset; // QEMU's table length: each entry starts 8-aligned, the last one is not padded
        for (int i = 0; i < count; i++) {
            if (at - offset > SnapshotEntryHead.MAX_TABLE_BYTES) {
                throw new CorruptImageException(file.toString(), at, "snapshot table entry " + i
                        + " lies past the table's limit");
            }
            // as QEMU reads it: bytes past the end of the file are zeros
            ByteBuffer h = QemuOpenRules.readZeroPadded(ch, file, at, SnapshotEntryHead.BYTES);
            SnapshotEntryHead head = SnapshotEntryHead.decode(h, 0);
            if (head.extraSize() > SnapshotEntryHead.MAX_EXTRA) {
                throw new CorruptImageException(file.toString(), at + SnapshotEntryHead.OFF_EXTRA_SIZE,
                        "snapshot extra data of " + head.extraSize() + " bytes exceeds "
                                + SnapshotEntryHead.MAX_EXTRA);
            }
            long var = head.variableBytes();
            ByteBuffer v = QemuOpenRules.readZeroPadded(ch, file, at + SnapshotEntryHead.BYTES, (int) var);
            byte[] all = v.array();
            int e = (int) head.extraSize();
            byte[] extra = java.util.Arrays.copyOfRange(all, 0, e);
            // as QEMU, what follows a NUL is dropped (and not written back)
            String id = SnapshotEntryHead.text(all, e, head.idSize());
            String name = SnapshotEntryHead.text(all, e + head.idSize(), head.nameSize());
            out.add(new Entry(head, extra, id, name));
            end = at + SnapshotEntryHead.BYTES + var;
            at = offset + SnapshotEntryHead.padded(end - offset);
        }
        return new Table(out, end - offset);
    }

    /**
     * The table as QEMU writes it. Entries with less than the 24 known bytes of extra data get them:
     * {@code vm_state_size_large} from the 32-bit field, {@code disk_size} = {@code virtualSize}, icount -1.
     */
    static ByteBuffer encode(List<Entry> entries, long virtualSize) {
        long total = 0;
        for (Entry e : entries) {
            total = SnapshotEntryHead.padded(total) + e.unpaddedLength();
        }
        ByteBuffer b = ByteBuffer.allocate((int) total);
        for (Entry e : entries) {
            byte[] id = utf8(e.id());
            byte[] name = utf8(e.name());
            int extraLen = Math.max(SnapshotEntryHead.KNOWN_EXTRA, e.extra().length);
            SnapshotEntryHead h = e.head();
            new SnapshotEntryHead(h.l1Offset(), h.l1Size(), id.length, name.length, h.dateSec(), h.dateNsec(),
                    h.vmClockNsec(), h.vmStateSize(), extraLen).encode(b);
            ByteBuffer x = ByteBuffer.allocate(extraLen);
            x.put(e.extra());
            ByteBuffer known = ByteBuffer.wrap(e.extra());
            if (e.extra().length < SnapshotEntryHead.EXTRA_DISK_SIZE) {
                x.putLong(SnapshotEntryHead.EXTRA_VM_STATE, h.vmStateSize());
            }
            if (e.extra().length < SnapshotEntryHead.EXTRA_ICOUNT) {
                x.putLong(SnapshotEntryHead.EXTRA_DISK_SIZE, virtualSize);
            }
            if (e.extra().length < SnapshotEntryHead.KNOWN_EXTRA) {
                x.putLong(SnapshotEntryHead.EXTRA_ICOUNT, -1L);
            }
            b.put(x.array()).put(id).put(name);
            b.position((int) Math.min(total, SnapshotEntryHead.padded(b.position())));
            known.clear();
        }
        b.flip();
        return b;
    }
}
