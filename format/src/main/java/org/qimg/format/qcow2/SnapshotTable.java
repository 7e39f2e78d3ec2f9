package org.qimg.format.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.SnapshotInfo;
import org.qimg.format.io.Positional;

/** The internal snapshot table: entries of 40 fixed bytes, extra data, id, name, padded to 8 bytes. */
final class SnapshotTable {
    /** One table entry: what {@code info} shows plus where its L1 table is. */
    record Entry(SnapshotInfo info, long l1Offset, long l1Size, long tableOffset) {
    }

    static final int MAX_EXTRA_DATA = 1024;
    static final long MAX_TABLE_BYTES = 64L << 20;

    private SnapshotTable() {
    }

    static List<Entry> read(FileChannel ch, Qcow2Header h) throws IOException {
        int count = h.nbSnapshots();
        List<Entry> out = new ArrayList<>(Math.min(count, 1024));
        String f = h.file().toString();
        long start = h.snapshotsOffset();
        long pos = start;
        ByteBuffer fixed = ByteBuffer.allocate(40);
        for (int i = 0; i < count; i++) {
            if (40 > h.fileLength() - pos) {
                throw new CorruptImageException(f, pos, "snapshot table entry " + i + " of " + count
                        + " extends past the end of the file (" + h.fileLength() + " bytes)");
            }
            fixed.clear();
            Positional.readFully(ch, fixed, pos, h.file());
            long l1Offset = fixed.getLong(0);
            long l1Size = Integer.toUnsignedLong(fixed.getInt(8));
            int idLen = fixed.getShort(12) & 0xffff;
            int nameLen = fixed.getShort(14) & 0xffff;
            long dateSec = Integer.toUnsignedLong(fixed.getInt(16));
            long dateNsec = Integer.toUnsignedLong(fixed.getInt(20));
            long vmClock = fixed.getLong(24);
            long vmState = Integer.toUnsignedLong(fixed.getInt(32));
            long extraLen = Integer.toUnsignedLong(fixed.getInt(36));
            if (extraLen > MAX_EXTRA_DATA) {
                throw new CorruptImageException(f, pos + 36, "snapshot " + i + " has " + extraLen
                        + " bytes of extra data, more than the limit of " + MAX_EXTRA_DATA);
            }
            long varLen = extraLen + idLen + nameLen;
            long entryLen = (40 + varLen + 7) & ~7L;
            if (varLen > h.fileLength() - pos - 40) {
                throw new CorruptImageException(f, pos, "snapshot table entry " + i + " (" + (40 + varLen)
                        + " bytes) extends past the end of the file (" + h.fileLength() + " bytes)");
            }
            if (pos + entryLen - start > MAX_TABLE_BYTES) {
                throw new ImageLimitException(f + ": offset " + start + ": snapshot table exceeds the limit of "
                        + MAX_TABLE_BYTES + " bytes at entry " + i);
            }
            ByteBuffer var = ByteBuffer.allocate((int) varLen);
            Positional.readFully(ch, var, pos + 40, h.file());
            long diskSize = -1;
            long icount = -1;
            if (extraLen >= 8) {
                vmState = var.getLong(0);
            }
            if (extraLen >= 16) {
                diskSize = var.getLong(8);
            }
            if (extraLen >= 24) {
                icount = var.getLong(16);
            }
            String id = new String(var.array(), (int) extraLen, idLen, StandardCharsets.UTF_8);
            String name = new String(var.array(), (int) extraLen + idLen, nameLen, StandardCharsets.UTF_8);
            out.add(new Entry(new SnapshotInfo(id, name, vmState, dateSec, dateNsec, vmClock, diskSize, icount),
                    l1Offset, l1Size, pos));
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
