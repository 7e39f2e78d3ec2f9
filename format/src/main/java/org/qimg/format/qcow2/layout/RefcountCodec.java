package org.qimg.format.qcow2.layout;

/**
 * Reads and writes one entry of an on-disk refcount block of any width (refcount_order 0..6). Sub-byte
 * entries are packed from the least significant bit of each byte, as QEMU stores them; 8..64-bit
 * entries are big-endian.
 */
public final class RefcountCodec {
    private RefcountCodec() {
    }

    public static long get(byte[] block, int index, int order) {
        switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int bitPos = index << order;
                return ((block[bitPos >>> 3] & 0xff) >>> (bitPos & 7)) & ((1 << bits) - 1);
            }
            case 3 -> {
                return block[index] & 0xff;
            }
            case 4 -> {
                int p = index * 2;
                return ((block[p] & 0xff) << 8) | (block[p + 1] & 0xff);
            }
            case 5 -> {
                int p = index * 4;
                return ((long) (block[p] & 0xff) << 24) | ((block[p + 1] & 0xff) << 16)
                        | ((block[p + 2] & 0xff) << 8) | (block[p + 3] & 0xff);
            }
            case 6 -> {
                int p = index * 8;
                long v = 0;
                for (int i = 0; i < 8; i++) {
                    v = (v << 8) | (block[p + i] & 0xff);
                }
                return v;
            }
            default -> throw new IllegalArgumentException("refcount_order " + order);
        }
    }

    /** Stores {@code value} (which must fit the width) at {@code index}. */
    public static void set(byte[] block, int index, int order, long value) {
        switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int bitPos = index << order;
                int mask = ((1 << bits) - 1) << (bitPos & 7);
                int b = block[bitPos >>> 3] & ~mask;
                block[bitPos >>> 3] = (byte) (b | (((int) value << (bitPos & 7)) & mask));
            }
            case 3 -> block[index] = (byte) value;
            case 4 -> {
                block[index * 2] = (byte) (value >>> 8);
                block[index * 2 + 1] = (byte) value;
            }
            case 5 -> {
                for (int i = 0; i < 4; i++) {
                    block[index * 4 + i] = (byte) (value >>> (24 - 8 * i));
                }
            }
            case 6 -> {
                for (int i = 0; i < 8; i++) {
                    block[index * 8 + i] = (byte) (value >>> (56 - 8 * i));
                }
            }
            default -> throw new IllegalArgumentException("refcount_order " + order);
        }
    }

    /** The byte range [first, first + length) of the block that holds entry {@code index}. */
    public static int byteOffset(int index, int order) {
        return order < 3 ? (index << order) >>> 3 : index << (order - 3);
    }

    public static int byteLength(int order) {
        return order < 3 ? 1 : 1 << (order - 3);
    }

    /** The largest refcount an entry of this width holds (unsigned; -1 means 2^64 - 1). */
    public static long max(int order) {
        return order == 6 ? -1L : (1L << (1 << order)) - 1;
    }
}
