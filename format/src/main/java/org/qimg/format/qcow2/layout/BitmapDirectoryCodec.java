package org.qimg.format.qcow2.layout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;

/**
 * The bitmap directory as a whole (qcow2.txt, "Bitmap directory"): a run of entries, each a
 * {@link BitmapEntryHead}, no extra data (QEMU writes none and refuses images that have some), the name, and
 * zero padding to a multiple of 8. Parsing here only frames the entries; the rules an entry must meet are
 * {@link BitmapRules}'.
 */
public final class BitmapDirectoryCodec {
    /** One entry: where its table is, its flags and granularity, and its name. */
    public record Entry(long tableOffset, long tableSize, long flags, int granularityBits, String name) {
        public boolean inUse() {
            return (flags & BitmapEntryHead.FLAG_IN_USE) != 0;
        }

        public boolean auto() {
            return (flags & BitmapEntryHead.FLAG_AUTO) != 0;
        }

        public Entry withFlags(long f) {
            return new Entry(tableOffset, tableSize, f, granularityBits, name);
        }

        public Entry withTable(long offset, long size) {
            return new Entry(offset, size, flags, granularityBits, name);
        }

        byte[] nameBytes() {
            return name.getBytes(StandardCharsets.UTF_8);
        }
    }

    private BitmapDirectoryCodec() {
    }

    /**
     * The {@code count} entries of {@code dir} (the directory's bytes, read from file offset {@code at});
     * throws when an entry crosses the end or has extra data.
     */
    public static List<Entry> parse(ByteBuffer dir, int count, String file, long at) throws CorruptImageException {
        List<Entry> out = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < count; i++) {
            if (dir.limit() - pos < BitmapEntryHead.BYTES) {
                throw new CorruptImageException(file, at + pos, "broken bitmap directory: entry " + i
                        + " crosses its end");
            }
            BitmapEntryHead h = BitmapEntryHead.decode(dir, pos);
            if (h.extraSize() != 0 || h.entryBytes() > dir.limit() - pos) {
                throw new CorruptImageException(file, at + pos, "broken bitmap directory: entry " + i
                        + " has extra data or crosses its end");
            }
            byte[] name = new byte[h.nameSize()];
            dir.get(pos + BitmapEntryHead.BYTES, name);
            out.add(new Entry(h.tableOffset(), h.tableSize(), h.flags(), h.granularityBits(),
                    new String(name, StandardCharsets.UTF_8)));
            pos += (int) h.entryBytes();
        }
        return out;
    }

    /** Bytes the directory of {@code entries} takes. */
    public static long size(List<Entry> entries) {
        long n = 0;
        for (Entry e : entries) {
            n += BitmapEntryHead.entryBytes(e.nameBytes().length);
        }
        return n;
    }

    /** The directory of {@code entries} as QEMU's bitmap_list_store writes it. */
    public static ByteBuffer encode(List<Entry> entries) {
        ByteBuffer b = ByteBuffer.allocate((int) size(entries));
        int pos = 0;
        for (Entry e : entries) {
            byte[] name = e.nameBytes();
            new BitmapEntryHead(e.tableOffset(), e.tableSize(), e.flags(), BitmapEntryHead.TYPE_DIRTY_TRACKING,
                    e.granularityBits(), name.length, 0).encode(b, pos);
            b.put(pos + BitmapEntryHead.BYTES, name);
            pos += BitmapEntryHead.entryBytes(name.length);
        }
        return b;
    }
}
