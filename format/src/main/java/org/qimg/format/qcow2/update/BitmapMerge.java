package org.qimg.format.qcow2.update;

import java.io.IOException;
import org.qimg.format.DirtyBitmap;

/**
 * QEMU's merge of one dirty bitmap into another ({@code hbitmap_merge}), on serialized bits and one range of
 * the target at a time, so that memory stays bounded whatever the bitmaps' sizes. Of equal granularity, the
 * bits are ORed; otherwise ({@code hbitmap_sparse_merge}) every dirty granule of the source, clipped to the
 * disk's size, dirties every target granule it touches.
 */
final class BitmapMerge {
    /** Bytes of source bits read at a time when granularities differ. */
    private static final int CHUNK = 64 * 1024;

    private BitmapMerge() {
    }

    /**
     * ORs into {@code dst} (serialized target bits {@code [bitFrom, bitFrom + 8 * dst.length)}, {@code bitFrom}
     * a multiple of 8) the bits of {@code src} as a target of granularity {@code 2^targetBits} over
     * {@code size} bytes sees them. Returns false when nothing was set.
     */
    static boolean orInto(DirtyBitmap src, int targetBits, long size, long bitFrom, byte[] dst) throws IOException {
        long targetTotal = -Math.floorDiv(-size, 1L << targetBits);
        long bitTo = Math.min(bitFrom + 8L * dst.length, targetTotal);
        if (bitTo <= bitFrom) {
            return false;
        }
        int sourceBits = Long.numberOfTrailingZeros(src.granularity());
        if (sourceBits == targetBits) {
            int n = (int) ((bitTo - bitFrom + 7) / 8);
            byte[] tmp = new byte[n];
            if (!src.read(bitFrom / 8, tmp, 0, n)) {
                return false;
            }
            boolean any = false;
            for (int i = 0; i < n; i++) {
                dst[i] |= tmp[i];
                any |= tmp[i] != 0;
            }
            return any;
        }
        long byteStart = bitFrom << targetBits;
        long byteEnd = Math.min(bitTo << targetBits, size);
        long s0 = byteStart >>> sourceBits;
        long s1 = -Math.floorDiv(-byteEnd, 1L << sourceBits);
        byte[] tmp = new byte[CHUNK];
        boolean any = false;
        for (long chunk = s0 / 8; chunk * 8 < s1; chunk += CHUNK) {
            int n = (int) Math.min(CHUNK, (s1 + 7) / 8 - chunk);
            if (!src.read(chunk, tmp, 0, n)) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                int v = tmp[i] & 0xff;
                long first = (chunk + i) * 8;
                if (v == 0xff && first >= s0 && first + 8 <= s1) {
                    // eight dirty granules in a row: one range
                    long e = Math.min((first + 8) << sourceBits, size);
                    long d0 = Math.max((first << sourceBits) >>> targetBits, bitFrom);
                    long d1 = Math.min(((e - 1) >>> targetBits) + 1, bitTo);
                    if (d0 < d1) {
                        setRange(dst, d0 - bitFrom, d1 - bitFrom);
                        any = true;
                    }
                    continue;
                }
                while (v != 0) {
                    int b = Integer.numberOfTrailingZeros(v);
                    v &= v - 1;
                    long bit = (chunk + i) * 8 + b;
                    if (bit < s0 || bit >= s1) {
                        continue;
                    }
                    long a = bit << sourceBits;
                    long e = Math.min((bit + 1) << sourceBits, size);
                    long d0 = Math.max(a >>> targetBits, bitFrom);
                    long d1 = Math.min(((e - 1) >>> targetBits) + 1, bitTo);
                    if (d0 < d1) {
                        setRange(dst, d0 - bitFrom, d1 - bitFrom);
                        any = true;
                    }
                }
            }
        }
        return any;
    }

    /** Sets bits {@code [from, to)} of the serialized bits in {@code b}. */
    static void setRange(byte[] b, long from, long to) {
        long i = from;
        while (i < to && (i & 7) != 0) {
            b[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
            i++;
        }
        while (to - i >= 8) {
            b[(int) (i >>> 3)] = (byte) 0xff;
            i += 8;
        }
        while (i < to) {
            b[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
            i++;
        }
    }
}
