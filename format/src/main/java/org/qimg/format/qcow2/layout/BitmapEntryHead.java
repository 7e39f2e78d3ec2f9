package org.qimg.format.qcow2.layout;

import java.nio.ByteBuffer;

/**
 * The fixed 24-byte head of a bitmap directory entry (QEMU's {@code docs/interop/qcow2.txt}, "Bitmap
 * directory"): {@code bitmap_table_offset} at 0, {@code bitmap_table_size} 8, {@code flags} 12, {@code type}
 * 16, {@code granularity_bits} 17, {@code name_size} 18, {@code extra_data_size} 20; then the extra data and
 * the name, padded to a multiple of 8 bytes. Unsigned fields are held in longs.
 */
public record BitmapEntryHead(long tableOffset, long tableSize, long flags, int type, int granularityBits,
                              int nameSize, long extraSize) {
    public static final int BYTES = 24;
    /** Offset of {@code extra_data_size} in the head (for error messages that point at it). */
    public static final int OFF_EXTRA_SIZE = 20;
    public static final long FLAG_IN_USE = 1;
    public static final long FLAG_AUTO = 2;
    /** The only bitmap type: dirty tracking. */
    public static final int TYPE_DIRTY_TRACKING = 1;

    /** Decodes the head that starts at {@code at} in {@code b} (absolute; the buffer's position is unchanged). */
    public static BitmapEntryHead decode(ByteBuffer b, int at) {
        return new BitmapEntryHead(b.getLong(at), Integer.toUnsignedLong(b.getInt(at + 8)),
                Integer.toUnsignedLong(b.getInt(at + 12)), b.get(at + 16) & 0xff, b.get(at + 17) & 0xff,
                b.getShort(at + 18) & 0xffff, Integer.toUnsignedLong(b.getInt(at + OFF_EXTRA_SIZE)));
    }

    /** Encodes this head at {@code at} in {@code b} (absolute; the buffer's position is unchanged). */
    public void encode(ByteBuffer b, int at) {
        b.putLong(at, tableOffset).putInt(at + 8, (int) tableSize).putInt(at + 12, (int) flags)
                .put(at + 16, (byte) type).put(at + 17, (byte) granularityBits).putShort(at + 18, (short) nameSize)
                .putInt(at + OFF_EXTRA_SIZE, (int) extraSize);
    }

    /** Bytes of an entry with a name of {@code nameBytes} bytes and no extra data (QEMU's calc_dir_entry_size). */
    public static int entryBytes(int nameBytes) {
        return (BYTES + nameBytes + 7) & ~7;
    }

    /** Bytes of the whole entry: head, extra data and name, padded to 8. */
    public long entryBytes() {
        return (BYTES + extraSize + nameSize + 7) & ~7L;
    }

    public boolean inUse() {
        return (flags & FLAG_IN_USE) != 0;
    }
}
