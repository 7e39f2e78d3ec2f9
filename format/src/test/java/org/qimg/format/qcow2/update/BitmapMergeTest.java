package org.qimg.format.qcow2.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.qimg.format.DirtyBitmap;

/**
 * {@link BitmapMerge} against a direct reading of QEMU's {@code hbitmap_sparse_merge}: a target granule is
 * dirty when it overlaps (within the disk's size) a dirty source granule; equal granularities OR the bits.
 */
class BitmapMergeTest {

    private static DirtyBitmap source(byte[] bits, int granularityBits, long size) {
        return new DirtyBitmap() {
            @Override
            public String name() {
                return "s";
            }

            @Override
            public long granularity() {
                return 1L << granularityBits;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public boolean inconsistent() {
                return false;
            }

            @Override
            public boolean read(long from, byte[] dst, int off, int len) {
                Arrays.fill(dst, off, off + len, (byte) 0);
                boolean any = false;
                for (int i = 0; i < len; i++) {
                    if (from + i < bits.length) {
                        dst[off + i] = bits[(int) (from + i)];
                        any |= dst[off + i] != 0;
                    }
                }
                return any;
            }
        };
    }

    private static boolean bit(byte[] b, long i) {
        return (b[(int) (i >>> 3)] >> (i & 7) & 1) != 0;
    }

    @Test
    void matchesTheDefinitionForRandomBitmaps() throws Exception {
        Random r = new Random(42);
        for (int round = 0; round < 300; round++) {
            long size = 512L * (1 + r.nextInt(4000));
            int gs = 9 + r.nextInt(8);
            int gt = 9 + r.nextInt(8);
            long sBits = (size + (1L << gs) - 1) >> gs;
            long tBits = (size + (1L << gt) - 1) >> gt;
            byte[] src = new byte[(int) ((sBits + 7) / 8)];
            double density = r.nextDouble() * 0.3;
            for (long i = 0; i < sBits; i++) {
                if (r.nextDouble() < density) {
                    src[(int) (i >>> 3)] |= (byte) (1 << (i & 7));
                }
            }
            if (round % 10 == 0) {
                Arrays.fill(src, (byte) 0xff); // runs of whole dirty bytes
                if (sBits % 8 != 0) {
                    src[src.length - 1] = (byte) ((1 << (sBits % 8)) - 1);
                }
            }
            byte[] expected = new byte[(int) ((tBits + 7) / 8)];
            for (long j = 0; j < tBits; j++) {
                long a = j << gt;
                long e = Math.min((j + 1) << gt, size);
                for (long i = a >> gs; i < sBits && (i << gs) < e; i++) {
                    if (bit(src, i)) {
                        expected[(int) (j >>> 3)] |= (byte) (1 << (j & 7));
                        break;
                    }
                }
            }
            // the whole target at once, and in pieces of a few bytes (as cluster by cluster)
            byte[] whole = new byte[expected.length];
            BitmapMerge.orInto(source(src, gs, size), gt, size, 0, whole);
            assertThat(whole).as("round %d: size %d, source 2^%d, target 2^%d", round, size, gs, gt)
                    .isEqualTo(expected);
            int piece = 1 + r.nextInt(7);
            byte[] pieces = new byte[expected.length];
            for (int at = 0; at < pieces.length; at += piece) {
                byte[] part = new byte[Math.min(piece, pieces.length - at)];
                BitmapMerge.orInto(source(src, gs, size), gt, size, 8L * at, part);
                System.arraycopy(part, 0, pieces, at, part.length);
            }
            assertThat(pieces).as("round %d in pieces of %d bytes", round, piece).isEqualTo(expected);
        }
    }

    @Test
    void setRangeSetsExactlyTheRange() {
        for (int from = 0; from < 40; from++) {
            for (int to = from; to <= 40; to++) {
                byte[] b = new byte[5];
                BitmapMerge.setRange(b, from, to);
                for (int i = 0; i < 40; i++) {
                    assertThat(bit(b, i)).isEqualTo(i >= from && i < to);
                }
            }
        }
    }
}
