package org.qimg.converters.convert;

import java.nio.ByteBuffer;

/**
 * Finds the runs of a buffer that must be written when zero runs of at least {@code minSparse} bytes may be
 * left as holes, with qemu-img's rules ({@code is_allocated_sectors_min}): 512-byte sectors; a zero run
 * at the very start of the buffer is always a hole; later zero runs shorter than the minimum are written
 * with the data around them; run ends are aligned to {@code pow2floor(minSparse)} where that is possible.
 */
final class SparseScan {
    static final int SECTOR = 512;

    private SparseScan() {
    }

    /** True when {@code len} bytes of {@code buf} from absolute index {@code off} are all zero. */
    static boolean isZero(ByteBuffer buf, int off, int len) {
        // Fast reject without allocating: data rarely begins and ends with eight zero bytes.
        if (len >= 16 && (buf.getLong(off) != 0 || buf.getLong(off + len - 8) != 0)) {
            return false;
        }
        ByteBuffer zeros = Zeros.slice(len);
        int done = 0;
        while (done < len) {
            int n = Math.min(len - done, zeros.capacity());
            if (buf.slice(off + done, n).mismatch(zeros.slice(0, n)) >= 0) {
                return false;
            }
            done += n;
        }
        return true;
    }

    /**
     * Writes into {@code runs} (pairs of byte offset, length relative to buf position 0) the data runs of
     * {@code buf[0, len)}, which starts at guest sector {@code firstSector}.
     *
     * @return the number of pairs
     */
    static int dataRuns(ByteBuffer buf, int len, long firstSector, int minSparse, int[] runs) {
        int sectors = len / SECTOR;
        int minSectors = Math.max(1, minSparse / SECTOR);
        int alignment = Integer.highestOneBit(minSectors);
        int pairs = 0;
        int s = 0;
        while (s < sectors) {
            int[] r = allocatedMin(buf, s, sectors - s, minSectors, firstSector + s, alignment);
            if (r[1] != 0) {
                if (pairs > 0 && runs[2 * pairs - 2] + runs[2 * pairs - 1] == s * SECTOR) {
                    runs[2 * pairs - 1] += r[0] * SECTOR;
                } else {
                    runs[2 * pairs] = s * SECTOR;
                    runs[2 * pairs + 1] = r[0] * SECTOR;
                    pairs++;
                }
            }
            s += r[0];
        }
        int tail = len - sectors * SECTOR;
        if (tail > 0) {
            runs[2 * pairs] = sectors * SECTOR;
            runs[2 * pairs + 1] = tail;
            pairs++;
        }
        return pairs;
    }

    /** {@code [count, allocated ? 1 : 0]} for the run of sectors starting at sector {@code s} of buf. */
    private static int[] allocated(ByteBuffer buf, int s, int n, long sectorNum, int alignment) {
        boolean zero = isZero(buf, s * SECTOR, SECTOR);
        int i = 1;
        while (i < n && isZero(buf, (s + i) * SECTOR, SECTOR) == zero) {
            i++;
        }
        if (i < n) {
            int tail = (int) ((sectorNum + i) & (alignment - 1));
            if (tail != 0) {
                if (zero && i <= tail) {
                    zero = false;
                }
                if (!zero) {
                    i = Math.min(n, i + alignment - tail);
                } else {
                    i -= tail;
                }
            }
        }
        return new int[] {i, zero ? 0 : 1};
    }

    private static int[] allocatedMin(ByteBuffer buf, int s, int n, int min, long sectorNum, int alignment) {
        int m = Math.min(min, n);
        int[] r = allocated(buf, s, n, sectorNum, alignment);
        if (r[1] == 0) {
            return r;
        }
        int used = r[0];
        int checked = used;
        int pos = s + used;
        int left = n - used;
        while (left > 0) {
            r = allocated(buf, pos, left, sectorNum + checked, alignment);
            pos += r[0];
            left -= r[0];
            checked += r[0];
            if (r[1] != 0) {
                used = checked;
            } else if (r[0] >= m) {
                break;
            }
        }
        return new int[] {used, 1};
    }
}
