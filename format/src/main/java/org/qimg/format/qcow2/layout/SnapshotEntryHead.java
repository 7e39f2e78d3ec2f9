package org.qimg.format.qcow2.layout;

import java.nio.ByteBuffer;

/**
 * The fixed 40-byte head of a snapshot table entry (qcow2.txt, "Snapshots"): {@code l1_table_offset} at 0,
 * {@code l1_size} 8, {@code id_str_size} 12, {@code name_size} 14, {@code date_sec} 16, {@code date_nsec} 20,
 * {@code vm_clock_nsec} 24, {@code vm_state_size} 32, {@code extra_data_size} 36. The extra data, the id and
 * the name follow in that order; each entry is padded to a multiple of 8 bytes. Unsigned fields are held
 * in longs.
 */
public record SnapshotEntryHead(long l1Offset, long l1Size, int idSize, int nameSize, long dateSec, long dateNsec,
                                long vmClockNsec, long vmStateSize, long extraSize) {
    public static final int BYTES = 40;
    /** Offset of {@code extra_data_size} in the head (for error messages that point at it). */
    public static final int OFF_EXTRA_SIZE = 36;
    /** QEMU's limit on one entry's extra data. */
    public static final int MAX_EXTRA = 1024;
    /** The extra data QEMU knows: {@code vm_state_size_large} at 0, {@code disk_size} 8, {@code icount} 16. */
    public static final int KNOWN_EXTRA = 24;
    public static final int EXTRA_VM_STATE = 0;
    public static final int EXTRA_DISK_SIZE = 8;
    public static final int EXTRA_ICOUNT = 16;
    /** QEMU's limit on the whole table: 1 KiB per snapshot, 65536 snapshots. */
    public static final long MAX_TABLE_BYTES = 1024L * HeaderLayout.MAX_SNAPSHOTS;

    /** Decodes the head that starts at {@code at} in {@code b} (absolute; the buffer's position is unchanged). */
    public static SnapshotEntryHead decode(ByteBuffer b, int at) {
        return new SnapshotEntryHead(b.getLong(at), Integer.toUnsignedLong(b.getInt(at + 8)),
                b.getShort(at + 12) & 0xffff, b.getShort(at + 14) & 0xffff,
                Integer.toUnsignedLong(b.getInt(at + 16)), Integer.toUnsignedLong(b.getInt(at + 20)),
                b.getLong(at + 24), Integer.toUnsignedLong(b.getInt(at + 32)),
                Integer.toUnsignedLong(b.getInt(at + OFF_EXTRA_SIZE)));
    }

    /** Appends the 40 bytes of this head at {@code out}'s position. */
    public void encode(ByteBuffer out) {
        out.putLong(l1Offset).putInt((int) l1Size).putShort((short) idSize).putShort((short) nameSize)
                .putInt((int) dateSec).putInt((int) dateNsec).putLong(vmClockNsec).putInt((int) vmStateSize)
                .putInt((int) extraSize);
    }

    /** Bytes after the head: extra data, id and name. */
    public long variableBytes() {
        return extraSize + idSize + nameSize;
    }

    /**
     * A snapshot's id or name as QEMU holds it: the {@code len} bytes at {@code off} read as a C string, so up to
     * the first NUL byte. QEMU lists, looks up and writes back only that part.
     */
    public static String text(byte[] b, int off, int len) {
        int n = 0;
        while (n < len && b[off + n] != 0) {
            n++;
        }
        return new String(b, off, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** {@code n} rounded up to the 8-byte alignment of table entries. */
    public static long padded(long n) {
        return (n + 7) & ~7L;
    }
}
