package org.qimg.format.qcow2;

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

/**
 * The persistent dirty bitmap directory, read only for {@code info}: names, granularities and flags.
 * Bitmap data is never touched by the reader.
 */
final class BitmapDirectory {
    static final int FLAG_IN_USE = 1;
    static final int FLAG_AUTO = 2;
    static final int MAX_NAME = 1023;

    /** One directory entry as {@code qemu-img info} shows it. */
    record Bitmap(String name, long granularity, int flags) {
        /** The JSON object qemu-img info prints: keys flags, name, granularity in qemu's order. */
        Map<String, Object> toInfo() {
            List<String> f = new ArrayList<>();
            if ((flags & FLAG_IN_USE) != 0) {
                f.add("in-use");
            }
            if ((flags & FLAG_AUTO) != 0) {
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
        ByteBuffer fixed = ByteBuffer.allocate(24);
        long pos = start;
        for (int i = 0; i < ext.count(); i++) {
            if (24 > start + size - pos) {
                throw new CorruptImageException(f, pos, "bitmap directory entry " + i + " of " + ext.count()
                        + " lies past the directory's end (" + size + " bytes)");
            }
            fixed.clear();
            Positional.readFully(ch, fixed, pos, h.file());
            int flags = fixed.getInt(12);
            int granularityBits = fixed.get(17) & 0xff;
            int nameSize = fixed.getShort(18) & 0xffff;
            long extra = Integer.toUnsignedLong(fixed.getInt(20));
            if (nameSize == 0 || nameSize > MAX_NAME || granularityBits > 63) {
                throw new CorruptImageException(f, pos, "bitmap directory entry " + i + ": name size " + nameSize
                        + " (must be 1.." + MAX_NAME + ") or granularity bits " + granularityBits + " out of range");
            }
            long entryLen = (24 + extra + nameSize + 7) & ~7L;
            if (extra > size || entryLen > start + size - pos) {
                throw new CorruptImageException(f, pos, "bitmap directory entry " + i + " (" + entryLen
                        + " bytes) extends past the directory's end");
            }
            ByteBuffer name = ByteBuffer.allocate(nameSize);
            Positional.readFully(ch, name, pos + 24 + extra, h.file());
            out.add(new Bitmap(new String(name.array(), StandardCharsets.UTF_8), 1L << granularityBits, flags));
            pos += entryLen;
        }
        return out;
    }
}
