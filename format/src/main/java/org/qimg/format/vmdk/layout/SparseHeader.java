package org.qimg.format.vmdk.layout;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A hosted sparse extent header's fields as stored, decoded once and not yet judged. Unsigned 32-bit fields
 * are held in longs. The rules that judge them (what QEMU refuses to open) live with the reader; the writer
 * builds one with {@link #encode()}.
 *
 * @param capacity       the extent's size in sectors
 * @param grainSize      sectors per grain
 * @param gdOffset       sector of the grain directory, or {@link SparseLayout#GD_AT_END}
 * @param rgdOffset      sector of the redundant grain directory (0 when none)
 * @param overhead       sectors before the first grain (header, descriptor, directories, tables)
 * @param newlineTest    the four bytes at {@link SparseLayout#OFF_NEWLINE_TEST}
 */
public record SparseHeader(int magic, long version, long flags, long capacity, long grainSize,
                           long descriptorOffset, long descriptorSize, long numGTEsPerGT, long rgdOffset,
                           long gdOffset, long overhead, int uncleanShutdown, int newlineTest,
                           int compressAlgorithm) {

    /** Decodes the first {@link SparseLayout#HEADER_BYTES} of {@code b} (absolute reads, any byte order). */
    public static SparseHeader decode(ByteBuffer b) {
        if (b.limit() < HEADER_BYTES) {
            throw new IllegalArgumentException("a sparse extent header has " + HEADER_BYTES + " bytes");
        }
        ByteBuffer h = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return new SparseHeader(h.getInt(OFF_MAGIC), u32(h, OFF_VERSION), u32(h, OFF_FLAGS), h.getLong(OFF_CAPACITY),
                h.getLong(OFF_GRAIN_SIZE), h.getLong(OFF_DESCRIPTOR_OFFSET), h.getLong(OFF_DESCRIPTOR_SIZE),
                u32(h, OFF_NUM_GTES_PER_GT), h.getLong(OFF_RGD_OFFSET), h.getLong(OFF_GD_OFFSET),
                h.getLong(OFF_OVERHEAD), h.get(OFF_UNCLEAN_SHUTDOWN) & 0xff, h.getInt(OFF_NEWLINE_TEST),
                h.getShort(OFF_COMPRESS_ALGORITHM) & 0xffff);
    }

    /** This header as its 512 stored bytes (the pad zero). */
    public ByteBuffer encode() {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(OFF_MAGIC, magic).putInt(OFF_VERSION, (int) version).putInt(OFF_FLAGS, (int) flags)
                .putLong(OFF_CAPACITY, capacity).putLong(OFF_GRAIN_SIZE, grainSize)
                .putLong(OFF_DESCRIPTOR_OFFSET, descriptorOffset).putLong(OFF_DESCRIPTOR_SIZE, descriptorSize)
                .putInt(OFF_NUM_GTES_PER_GT, (int) numGTEsPerGT).putLong(OFF_RGD_OFFSET, rgdOffset)
                .putLong(OFF_GD_OFFSET, gdOffset).putLong(OFF_OVERHEAD, overhead)
                .put(OFF_UNCLEAN_SHUTDOWN, (byte) uncleanShutdown).putInt(OFF_NEWLINE_TEST, newlineTest)
                .putShort(OFF_COMPRESS_ALGORITHM, (short) compressAlgorithm);
        return h;
    }

    /** The newline test bytes as {@link #newlineTest} holds them when they are right. */
    public static int validNewlineTest() {
        return ByteBuffer.wrap(NEWLINE_TEST).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    private static long u32(ByteBuffer h, int at) {
        return Integer.toUnsignedLong(h.getInt(at));
    }
}
