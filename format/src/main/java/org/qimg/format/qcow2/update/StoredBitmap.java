package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.BitmapRules;

/**
 * The bits of a bitmap as its bitmap table stores them (qcow2.txt, "Bitmap table" and "Bitmap data"): entry
 * {@code k} of the table holds the {@code k}-th cluster of serialized bits, or 0 for a cluster of zeros, or
 * 0 with bit 0 set for a cluster of ones. Data clusters are read one at a time (the last one is cached);
 * bytes past the end of the file read as zeros, as QEMU reads them. Bits past the bitmap's end read as 0.
 */
final class StoredBitmap {
    private final FileChannel ch;
    private final Path file;
    private final int clusterSize;
    private final long tableOffset;
    private final long entries;
    /** Loaded when first read, dropped by {@link #release()}: one image may hold 65535 bitmaps. */
    private long[] table;
    private final long bytes;
    private final long bits;
    private long cachedCluster = -1;
    private final byte[] cache;

    private StoredBitmap(FileChannel ch, Path file, int clusterSize, long tableOffset, long entries, long bits) {
        this.ch = ch;
        this.file = file;
        this.clusterSize = clusterSize;
        this.tableOffset = tableOffset;
        this.entries = entries;
        this.bits = bits;
        this.bytes = (bits + 7) / 8;
        this.cache = new byte[clusterSize];
    }

    /**
     * The bitmap of {@code bits} bits whose table of {@code entries} entries is at {@code offset}; the table
     * is read (every entry checked as QEMU's {@code check_table_entry} checks it) when the bits are.
     */
    static StoredBitmap of(FileChannel ch, Path file, int clusterSize, long offset, long entries, long bits) {
        return new StoredBitmap(ch, file, clusterSize, offset, entries, bits);
    }

    /** Drops the table and cached cluster from memory (they are read again if needed). */
    void release() {
        table = null;
        cachedCluster = -1;
    }

    /** The {@code entries} entries of the table at {@code offset}, each checked ({@code check_table_entry}). */
    static long[] readTable(FileChannel ch, Path file, int clusterSize, long offset, long entries) throws IOException {
        if (entries < 0 || entries > BitmapRules.MAX_PHYS_BYTES / 512 || offset < 0
                || offset > Long.MAX_VALUE - 8 * entries) {
            throw new CorruptImageException(file.toString(), offset, "bitmap table of " + entries
                    + " entries cannot be read");
        }
        ByteBuffer b = ByteBuffer.allocate((int) (8 * entries));
        long size = ch.size();
        if (offset < size) {
            b.limit((int) Math.min(b.capacity(), size - offset));
            Positional.readFully(ch, b, offset, file);
        }
        long[] t = new long[(int) entries];
        for (int i = 0; i < t.length; i++) {
            long e = b.getLong(8 * i);
            if (!BitmapRules.tableEntryValid(e, clusterSize)) {
                throw new CorruptImageException(file.toString(), offset + 8L * i,
                        String.format("bitmap table entry %d is invalid: 0x%016x", i, e));
            }
            t[i] = e;
        }
        return t;
    }

    /** As {@link org.qimg.format.DirtyBitmap#read}. */
    boolean read(long from, byte[] dst, int off, int len) throws IOException {
        if (table == null) {
            table = readTable(ch, file, clusterSize, tableOffset, entries);
        }
        Arrays.fill(dst, off, off + len, (byte) 0);
        boolean any = false;
        long end = Math.min(from + len, bytes);
        long pos = from;
        while (pos < end) {
            long k = pos / clusterSize;
            int in = (int) (pos % clusterSize);
            int n = (int) Math.min(clusterSize - in, end - pos);
            long entry = k < table.length ? table[(int) k] : 0;
            long data = entry & BitmapRules.TABLE_OFFSET_MASK;
            int at = off + (int) (pos - from);
            if (data != 0) {
                any |= fill(k, data, in, dst, at, n);
            } else if ((entry & BitmapRules.TABLE_ALL_ONES) != 0) {
                Arrays.fill(dst, at, at + n, (byte) 0xff);
                any = true;
            }
            pos += n;
        }
        if (any && from + len > bytes - 1 && bits % 8 != 0 && bytes - 1 >= from) {
            int last = off + (int) (bytes - 1 - from);
            dst[last] &= (byte) ((1 << (bits % 8)) - 1);
        }
        return any;
    }

    private boolean fill(long k, long data, int in, byte[] dst, int at, int n) throws IOException {
        if (cachedCluster != k) {
            Arrays.fill(cache, (byte) 0);
            long size = ch.size();
            if (data < size) {
                ByteBuffer b = ByteBuffer.wrap(cache, 0, (int) Math.min(clusterSize, size - data));
                Positional.readFully(ch, b, data, file);
            }
            cachedCluster = k;
        }
        System.arraycopy(cache, in, dst, at, n);
        for (int i = 0; i < n; i++) {
            if (dst[at + i] != 0) {
                return true;
            }
        }
        return false;
    }
}
