package org.qimg.format.qcow2.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.BitmapEntryHead;
import org.qimg.format.qcow2.layout.BitmapRules;
import org.qimg.format.qcow2.layout.HeaderExtensions;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * The persistent dirty bitmap directory, read only for {@code info}: names, granularities and flags.
 * Bitmap data is never touched by the reader.
 */
final class BitmapDirectory {
    /** One directory entry as {@code qemu-img info} shows it. */
    record Bitmap(String name, long granularity, int flags) {
        /** The JSON object qemu-img info prints: keys flags, name, granularity in qemu's order. */
        Map<String, Object> toInfo() {
            List<String> f = new ArrayList<>();
            if ((flags & BitmapEntryHead.FLAG_IN_USE) != 0) {
                f.add("in-use");
            }
            if ((flags & BitmapEntryHead.FLAG_AUTO) != 0) {
                f.add("auto");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("flags", List.copyOf(f));
            m.put("name", name);
            m.put("granularity", granularity);
            return m;
        }
    }

    private BitmapDirectory() {
    }

    static List<Bitmap> read(FileChannel ch, Qcow2Header h) throws IOException {
        HeaderExtensions.Bitmaps ext = h.extensions().bitmaps();
        if (ext == null) {
            return List.of();
        }
        String f = h.file().toString();
        long start = ext.directoryOffset();
        long size = ext.directorySize();
        if (size > h.fileLength() - start) {
            throw new CorruptImageException(f, start, "bitmap directory of " + size
                    + " bytes extends past the end of the file (" + h.fileLength() + " bytes)");
        }
        List<Bitmap> out = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        Map<Long, Integer> checked = new java.util.HashMap<>(); // table cluster -> entries checked there
        ByteBuffer fixed = ByteBuffer.allocate(BitmapEntryHead.BYTES);
        long end = start + size;
        long pos = start;
        int i = 0;
        // QEMU loads every bitmap on open (bitmap_list_load, check_dir_entry, load_bitmap) and refuses the
        // image when one breaks its rules; the same rules here
        while (pos < end) {
            if (BitmapEntryHead.BYTES > end - pos) {
                throw broken(f, pos, "entry " + i + " crosses the directory's end (" + size + " bytes)");
            }
            if (i >= ext.count()) {
                throw new CorruptImageException(f, pos, "bitmap directory holds more bitmaps than the "
                        + ext.count() + " its header extension gives");
            }
            fixed.clear();
            Positional.readFully(ch, fixed, pos, h.file());
            BitmapEntryHead e = BitmapEntryHead.decode(fixed, 0);
            long tableOffset = e.tableOffset();
            long tableSize = e.tableSize();
            int flags = (int) e.flags();
            int type = e.type();
            int granularityBits = e.granularityBits();
            int nameSize = e.nameSize();
            long extra = e.extraSize();
            long entryLen = e.entryBytes();
            if (entryLen > end - pos) {
                throw broken(f, pos, "entry " + i + " (" + entryLen + " bytes) crosses the directory's end");
            }
            if (extra != 0) {
                throw new CorruptImageException(f, pos + BitmapEntryHead.OFF_EXTRA_SIZE, "bitmap directory entry " + i + " has " + extra
                        + " bytes of extra data (must be 0)");
            }
            ByteBuffer name = ByteBuffer.allocate(nameSize);
            Positional.readFully(ch, name, pos + BitmapEntryHead.BYTES + extra, h.file());
            String n = new String(name.array(), StandardCharsets.UTF_8);
            boolean bad = nameSize == 0 || !BitmapRules.fieldsValid(tableOffset, tableSize,
                    Integer.toUnsignedLong(flags), type, granularityBits, nameSize, h.clusterSize())
                    || BitmapRules.tableTooLarge(tableSize, h.clusterBits())
                    || (flags & BitmapEntryHead.FLAG_IN_USE) == 0
                        && !BitmapRules.covers(h.virtualSize() & ~511L, tableSize, h.clusterBits(), granularityBits);
            if (bad) {
                throw new CorruptImageException(f, pos, "bitmap '" + n + "' (directory entry " + i + ") does not "
                        + "satisfy the constraints: table of " + tableSize + " entries at offset " + tableOffset
                        + ", type " + type + ", granularity bits " + granularityBits + ", flags 0x"
                        + Integer.toHexString(flags));
            }
            if (!names.add(n)) {
                throw new CorruptImageException(f, pos, "bitmap '" + n + "' is in the directory twice");
            }
            if ((flags & BitmapEntryHead.FLAG_IN_USE) == 0) {
                checkTable(ch, h, n, tableOffset, tableSize, granularityBits, checked);
            }
            out.add(new Bitmap(n, 1L << granularityBits, flags));
            pos += entryLen;
            i++;
        }
        if (i != ext.count()) {
            throw new CorruptImageException(f, start, "bitmap directory holds " + i + " bitmaps, its header "
                    + "extension says " + ext.count());
        }
        return out;
    }

    private static CorruptImageException broken(String f, long pos, String detail) {
        return new CorruptImageException(f, pos, "broken bitmap directory: " + detail);
    }

    /**
     * The bitmap table of a bitmap QEMU loads: one entry per cluster of bitmap data the disk needs, reserved
     * bits clear, offsets cluster-aligned. Entries past the end of the file read as zeros (QEMU's reading).
     * Clusters already in {@code checked} are not read again, so the work stays bounded by the file size.
     */
    private static void checkTable(FileChannel ch, Qcow2Header h, String name, long offset, long entries,
                                   int granularityBits, Map<Long, Integer> checked) throws IOException {
        String f = h.file().toString();
        long needed = BitmapRules.tableEntriesNeeded(h.virtualSize() & ~511L, granularityBits, h.clusterSize());
        if (needed != entries) {
            throw new CorruptImageException(f, offset, "bitmap table of '" + name + "' has " + entries
                    + " entries, its disk needs " + needed);
        }
        if (offset < 0 || 8 * entries > Long.MAX_VALUE - offset) {
            throw new CorruptImageException(f, offset, "bitmap table of '" + name + "' (" + entries
                    + " entries) at offset " + Long.toUnsignedString(offset) + " cannot be read");
        }
        long inFile = offset >= h.fileLength() ? 0 : Math.min(entries, (h.fileLength() - offset) / 8);
        int perCluster = h.clusterSize() / 8;
        ByteBuffer t = ByteBuffer.allocate(h.clusterSize());
        for (long k = 0; k < inFile; k += perCluster) {
            long at = offset + 8 * k;
            int n = (int) Math.min(perCluster, inFile - k);
            // every table cluster is checked once, however many bitmaps share it
            if (checked.getOrDefault(at, 0) >= n) {
                continue;
            }
            t.clear().limit(8 * n);
            Positional.readFully(ch, t, at, h.file());
            for (int j = 0; j < n; j++) {
                long e = t.getLong(8 * j);
                if (!BitmapRules.tableEntryValid(e, h.clusterSize())) {
                    throw new CorruptImageException(f, at + 8L * j, String.format("bitmap table entry %d of '%s' "
                            + "is invalid: 0x%016x", k + j, name, e));
                }
            }
            checked.put(at, n);
        }
    }
}
