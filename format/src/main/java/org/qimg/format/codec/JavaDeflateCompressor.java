package org.qimg.format.codec;

import java.nio.ByteBuffer;

/**
 * Pure-Java fallback for zlib clusters when libz cannot be loaded. {@link java.util.zip.Deflater} cannot
 * limit its window to 4 KiB, and QEMU inflates with a 4 KiB window, so this class writes its own raw
 * deflate stream: one final block with the fixed Huffman code, matches found by a hash-chain LZ77 whose
 * distances never exceed 4096. Readable by any inflater with a window of 4 KiB or more; not
 * byte-identical to libz's output and compresses somewhat worse (no dynamic Huffman tables). The level
 * sets how long the match search runs. The payload is kept when it is at most {@code cluster_size - 2}
 * bytes, as with libz.
 */
final class JavaDeflateCompressor implements ClusterCompressor {
    static final int WINDOW = 4096;
    private static final int MIN_MATCH = 3;
    private static final int MAX_MATCH = 258;
    private static final int HASH_BITS = 15;

    private static final int[] LENGTH_BASE = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43,
        51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    private static final int[] LENGTH_EXTRA = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4,
        4, 4, 5, 5, 5, 5, 0};
    private static final int[] DIST_BASE = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385,
        513, 769, 1025, 1537, 2049, 3073};
    private static final int[] DIST_EXTRA = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
        10};

    private final int clusterSize;
    private final int maxChain;
    private final byte[] in;
    private final byte[] out;
    private final int[] head = new int[1 << HASH_BITS];
    private final int[] prev;
    private int outPos;
    private long bitBuf;
    private int bitCount;
    private boolean overflow;

    JavaDeflateCompressor(int level, int clusterSize) {
        this.clusterSize = clusterSize;
        this.maxChain = Math.max(4, level * level * 4);
        this.in = new byte[clusterSize];
        this.out = new byte[clusterSize];
        this.prev = new int[clusterSize];
    }

    @Override
    public int compress(ByteBuffer src, ByteBuffer dst) {
        int n = src.remaining();
        if (n > clusterSize) {
            throw new IllegalArgumentException("input of " + n + " bytes is larger than a cluster");
        }
        src.get(in, 0, n);
        int limit = clusterSize - 2;
        outPos = 0;
        bitBuf = 0;
        bitCount = 0;
        overflow = false;
        java.util.Arrays.fill(head, -1);
        putBits(1, 1); // BFINAL
        putBits(1, 2); // BTYPE = 01, fixed Huffman
        int i = 0;
        while (i < n && !overflow) {
            int bestLen = 0;
            int bestDist = 0;
            if (i + MIN_MATCH <= n) {
                int h = hash(i);
                int cand = head[h];
                int chain = maxChain;
                int maxLen = Math.min(MAX_MATCH, n - i);
                while (cand >= 0 && i - cand <= WINDOW && chain-- > 0) {
                    if (in[cand + bestLen] == in[i + bestLen]) {
                        int l = 0;
                        while (l < maxLen && in[cand + l] == in[i + l]) {
                            l++;
                        }
                        if (l > bestLen) {
                            bestLen = l;
                            bestDist = i - cand;
                            if (l == maxLen) {
                                break;
                            }
                        }
                    }
                    cand = prev[cand];
                }
            }
            if (bestLen >= MIN_MATCH) {
                putLength(bestLen);
                putDistance(bestDist);
                int end = i + bestLen;
                for (; i < end; i++) {
                    insert(i, n);
                }
            } else {
                putLiteral(in[i] & 0xff);
                insert(i, n);
                i++;
            }
            if (outPos > limit) {
                overflow = true;
            }
        }
        putLiteral(256);
        if (bitCount > 0) {
            putByte((int) bitBuf & 0xff);
            bitBuf = 0;
            bitCount = 0;
        }
        if (overflow || outPos > limit) {
            return -1;
        }
        if (outPos > dst.remaining()) {
            throw new IllegalArgumentException("destination has " + dst.remaining() + " bytes, payload needs " + outPos);
        }
        dst.put(out, 0, outPos);
        return outPos;
    }

    private int hash(int i) {
        int v = ((in[i] & 0xff) << 16) | ((in[i + 1] & 0xff) << 8) | (in[i + 2] & 0xff);
        return (v * 0x9E3779B1) >>> (32 - HASH_BITS);
    }

    private void insert(int i, int n) {
        if (i + MIN_MATCH <= n) {
            int h = hash(i);
            prev[i] = head[h];
            head[h] = i;
        }
    }

    private void putLiteral(int lit) {
        if (lit < 144) {
            putCode(0x30 + lit, 8);
        } else if (lit < 256) {
            putCode(0x190 + lit - 144, 9);
        } else if (lit < 280) {
            putCode(lit - 256, 7);
        } else {
            putCode(0xc0 + lit - 280, 8);
        }
    }

    private void putLength(int len) {
        int c = 0;
        while (c + 1 < LENGTH_BASE.length && LENGTH_BASE[c + 1] <= len) {
            c++;
        }
        putLiteral(257 + c);
        putBits(len - LENGTH_BASE[c], LENGTH_EXTRA[c]);
    }

    private void putDistance(int dist) {
        int c = 0;
        while (c + 1 < DIST_BASE.length && DIST_BASE[c + 1] <= dist) {
            c++;
        }
        putCode(c, 5);
        putBits(dist - DIST_BASE[c], DIST_EXTRA[c]);
    }

    /** Huffman codes go most significant bit first. */
    private void putCode(int code, int len) {
        putBits(Integer.reverse(code) >>> (32 - len), len);
    }

    private void putBits(int value, int len) {
        bitBuf |= ((long) value) << bitCount;
        bitCount += len;
        while (bitCount >= 8) {
            putByte((int) bitBuf & 0xff);
            bitBuf >>>= 8;
            bitCount -= 8;
        }
    }

    private void putByte(int b) {
        if (outPos < out.length) {
            out[outPos] = (byte) b;
        }
        outPos++;
        if (outPos > out.length) {
            overflow = true;
        }
    }

    @Override
    public void close() {
    }
}
