package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostFiles;

/**
 * QEMU's {@code qcow2_make_empty} fallback for an image with an external data file: every guest cluster is
 * discarded in full ({@code qcow2_cluster_discard} with {@code full_discard}, as after {@code qemu-img commit}).
 * Each L1 entry gets a table the image owns (an empty one is allocated where there is none, as
 * {@code get_cluster_table} does), every L2 entry (and subcluster bitmap) becomes 0, and the data clusters
 * they pointed to, which have no refcounts, are discarded in the data file (punched out).
 */
final class Qcow2DataFileDiscard {
    private Qcow2DataFileDiscard() {
    }

    static void discardAll(FileChannel ch, Path file, Qcow2Header h) throws IOException {
        String name = h.extensions().dataFile();
        if (name == null) {
            throw new ImageException("Could not open '" + file + "': Image does not have an external data file name");
        }
        Path n = Path.of(name);
        Path dataPath = n.isAbsolute() || file.getParent() == null ? n : file.getParent().resolve(n);
        UpdaterRefcounts refs = new UpdaterRefcounts(ch, file, h);
        boolean ext = h.hasExtendedL2();
        int cs = h.clusterSize();
        int entryBytes = Entries.l2EntryBytes(ext);
        long perTable = cs / entryBytes;
        long clusters = (h.virtualSize() + cs - 1) / cs;
        long tables = Math.min(h.l1Size(), (clusters + perTable - 1) / perTable);
        ByteBuffer l1 = ByteBuffer.allocate(h.l1Size() * Entries.ENTRY_BYTES);
        Positional.readFully(ch, l1, h.l1TableOffset(), file);
        List<long[]> punches = new ArrayList<>();
        ByteBuffer table = ByteBuffer.allocate(cs);
        for (int i = 0; i < tables; i++) {
            long e = l1.getLong(i * Entries.ENTRY_BYTES);
            long at = e & OFFSET_MASK;
            table.clear();
            if (at != 0) {
                Positional.readFully(ch, table, at, file);
            } else {
                table.put(0, new byte[cs]);
            }
            if (at == 0 || (e & COPIED) == 0) {
                // QEMU's l2_allocate: the table is written before the L1 entry points at it
                long old = at;
                at = refs.allocate();
                Positional.writeFully(ch, table.clear(), at);
                ch.force(false);
                Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, at | COPIED),
                        h.l1TableOffset() + 8L * i);
                ch.force(false);
                if (old != 0) {
                    refs.add(old / cs, -1);
                }
            }
            int count = (int) Math.min(perTable, clusters - i * perTable);
            for (int j = 0; j < count; j++) {
                long entry = table.getLong(j * entryBytes);
                Entries.Type type = Entries.type(entry, ext, true);
                if (type == Entries.Type.NORMAL || type == Entries.Type.ZERO_ALLOC) {
                    punches.add(new long[] {entry & OFFSET_MASK, cs});
                }
            }
            Positional.writeFully(ch, ByteBuffer.allocate(count * entryBytes), at);
        }
        ch.force(false);
        HostFiles.punchHoles(dataPath, punches.toArray(new long[0][]));
    }
}
