package org.qimg.format.qcow2.check;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.qimg.format.CorruptImageException;
import org.qimg.format.qcow2.layout.BitmapEntryHead;
import org.qimg.format.qcow2.layout.BitmapRules;

/**
 * The persistent bitmaps as QEMU 7.2 sees them when it opens an image for checking: the bitmap directory
 * (qcow2-bitmap.c {@code bitmap_list_load} with {@code check_dir_entry}) and, for every bitmap not marked
 * in use, its bitmap table and its size ({@code load_bitmap}). Whatever QEMU refuses there makes it refuse
 * to open the image, so no check runs; qimg throws {@link CorruptImageException} at the same points.
 *
 * <p>Spec: qcow2.txt, "Bitmaps extension" and "Bitmap directory". Directory entry: bitmap_table_offset 0,
 * bitmap_table_size 8, flags 12, type 16, granularity_bits 17, name_size 18, extra_data_size 20, then the
 * extra data and the name, padded to 8 bytes.
 */
final class CheckBitmaps {
    private static final int ENTRY_HEAD = BitmapEntryHead.BYTES;

    /** One directory entry. */
    record Bitmap(String name, long tableOffset, long tableSize, long flags) {
        boolean inUse() {
            return (flags & BitmapEntryHead.FLAG_IN_USE) != 0;
        }
    }

    private CheckBitmaps() {
    }

    /** The directory the header points at, validated as QEMU validates it on open (empty without bitmaps). */
    static List<Bitmap> load(ImageFile file, CheckHeader h) throws IOException {
        List<Bitmap> out = new ArrayList<>();
        if (h.bitmapCount == 0) {
            return out;
        }
        String f = file.path().toString();
        long dirOffset = h.bitmapDirOffset;
        long dirSize = h.bitmapDirSize;
        if (dirSize == 0) {
            throw new CorruptImageException(f, dirOffset, "bitmap directory size is zero");
        }
        // bytes past the end of the file read as zeros; an entry of zeros fails below, so only what the
        // file holds (and a zero entry after it) needs memory
        long inFile = Math.max(0, Math.min(dirSize, file.length() - dirOffset));
        ByteBuffer dir = ByteBuffer.wrap(file.read(dirOffset, (int) Math.min(dirSize, inFile + ENTRY_HEAD)));
        long virtualSize = h.virtualSize & ~511L;
        Set<String> names = new HashSet<>();
        long pos = 0;
        int n = 0;
        while (pos < dirSize) {
            long at = dirOffset + pos;
            if (pos + ENTRY_HEAD > dirSize) {
                throw new CorruptImageException(f, at, "broken bitmap directory: entry " + n + " crosses its end");
            }
            if (++n > h.bitmapCount) {
                throw new CorruptImageException(f, at, "more bitmaps found than the " + h.bitmapCount
                        + " the header extension specifies");
            }
            BitmapEntryHead e = headAt(dir, pos);
            long tableOffset = e.tableOffset();
            long tableSize = e.tableSize();
            long flags = e.flags();
            int type = e.type();
            int granularityBits = e.granularityBits();
            int nameSize = e.nameSize();
            long extra = e.extraSize();
            long next = pos + e.entryBytes();
            if (next > dirSize) {
                throw new CorruptImageException(f, at, "broken bitmap directory: entry " + (n - 1)
                        + " crosses its end");
            }
            if (extra != 0) {
                throw new CorruptImageException(f, at + BitmapEntryHead.OFF_EXTRA_SIZE, "bitmap extra data is not supported, found "
                        + extra + " bytes");
            }
            String name = name(dir, pos + ENTRY_HEAD, nameSize);
            String bad = entryProblem(h, tableOffset, tableSize, flags, type, granularityBits, nameSize,
                    virtualSize);
            if (bad != null) {
                throw new CorruptImageException(f, at, "bitmap '" + name + "' doesn't satisfy the constraints: "
                        + bad);
            }
            Bitmap bm = new Bitmap(name, tableOffset, tableSize, flags);
            out.add(bm);
            pos = next;
        }
        if (n != h.bitmapCount) {
            throw new CorruptImageException(f, dirOffset, "less bitmaps found (" + n + ") than the "
                    + h.bitmapCount + " the header extension specifies");
        }
        for (Bitmap bm : out) {
            // qcow2_load_dirty_bitmaps creates each bitmap, in use or not, under its name
            if (!names.add(bm.name())) {
                throw new CorruptImageException(f, dirOffset, "bitmap already exists: " + bm.name());
            }
            if (!bm.inUse()) {
                long bad = firstBadEntry(file, bm, h.clusterSize());
                if (bad >= 0) {
                    throw new CorruptImageException(f, bm.tableOffset() + bad * 8, "could not read bitmap table "
                            + "for bitmap '" + bm.name() + "': entry " + bad + " is invalid");
                }
            }
        }
        return out;
    }

    /** check_dir_entry, and load_bitmap_data's table size for a bitmap not in use; null when fine. */
    private static String entryProblem(CheckHeader h, long tableOffset, long tableSize, long flags, int type,
                                       int granularityBits, int nameSize, long virtualSize) {
        if (!BitmapRules.fieldsValid(tableOffset, tableSize, flags, type, granularityBits, nameSize,
                h.clusterSize())) {
            return "table at " + Long.toUnsignedString(tableOffset) + " of " + tableSize + " entries, flags 0x"
                    + Long.toHexString(flags) + ", type " + type + ", granularity bits " + granularityBits
                    + ", name of " + nameSize + " bytes";
        }
        if (BitmapRules.tableTooLarge(tableSize, h.clusterBits)) {
            return "a table of " + tableSize + " clusters exceeds 512 MiB";
        }
        if ((flags & BitmapEntryHead.FLAG_IN_USE) == 0) {
            if (!BitmapRules.covers(virtualSize, tableSize, h.clusterBits, granularityBits)) {
                return "a table of " + tableSize + " clusters cannot cover the disk";
            }
            long needed = BitmapRules.tableEntriesNeeded(virtualSize, granularityBits, h.clusterSize());
            if (needed != tableSize) {
                return "the table has " + tableSize + " entries, the bitmap needs " + needed;
            }
        }
        return null;
    }

    /** Index of the first bitmap table entry check_table_entry refuses, or -1. */
    static long firstBadEntry(ImageFile file, Bitmap bm, int clusterSize) throws IOException {
        ByteBuffer t = ByteBuffer.wrap(file.read(bm.tableOffset(), (int) (bm.tableSize() * 8)));
        for (int i = 0; i < bm.tableSize(); i++) {
            if (!BitmapRules.tableEntryValid(t.getLong(i * 8), clusterSize)) {
                return i;
            }
        }
        return -1;
    }

    private static String name(ByteBuffer dir, long pos, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) u8(dir, pos + i);
        }
        int len = 0;
        while (len < size && b[len] != 0) {
            len++;
        }
        return new String(b, 0, len, StandardCharsets.UTF_8);
    }

    private static int u8(ByteBuffer b, long pos) {
        return pos < b.limit() ? b.get((int) pos) & 0xff : 0;
    }

    /** The entry head at {@code pos}; bytes past what was read (past the end of the file) are zeros. */
    private static BitmapEntryHead headAt(ByteBuffer dir, long pos) {
        ByteBuffer head = ByteBuffer.allocate(ENTRY_HEAD);
        for (int i = 0; i < ENTRY_HEAD; i++) {
            head.put(i, (byte) u8(dir, pos + i));
        }
        return BitmapEntryHead.decode(head, 0);
    }
}
