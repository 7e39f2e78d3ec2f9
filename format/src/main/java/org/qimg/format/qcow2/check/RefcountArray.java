package org.qimg.format.qcow2.check;

import java.util.HashMap;
import java.util.Map;

/**
 * An in-memory refcount per host cluster, packed for images with millions of clusters: 16 bits per
 * cluster in lazily allocated chunks of 65536 clusters; counts of 0xffff and above keep 0xffff in the
 * chunk and the true value in a sparse overflow map (real images almost never get there). A 1 TiB file
 * with 64 KiB clusters (16 M clusters) costs 32 MiB when every cluster is in use; untouched chunks cost
 * nothing. Counts are unsigned 64-bit values. Not thread-safe.
 */
public final class RefcountArray {
    static final int CHUNK_BITS = 16;
    static final int CHUNK_SIZE = 1 << CHUNK_BITS;
    private static final int ESCAPE = 0xffff;
    /** Limit on entries, as qemu's check: the host file may hold at most INT_MAX clusters. */
    public static final long MAX_ENTRIES = Integer.MAX_VALUE;

    private char[][] chunks;
    private final Map<Long, Long> overflow = new HashMap<>();
    private long size;

    /** An array of {@code size} zero counts. */
    public RefcountArray(long size) {
        if (size < 0 || size > MAX_ENTRIES) {
            throw new IllegalArgumentException("refcount array size must be 0.." + MAX_ENTRIES + ", got " + size);
        }
        this.size = size;
        this.chunks = new char[chunkCount(size)][];
    }

    private static int chunkCount(long entries) {
        return (int) ((entries + CHUNK_SIZE - 1) >>> CHUNK_BITS);
    }

    /** Number of entries (clusters) covered. */
    public long size() {
        return size;
    }

    /** Grows the array to cover {@code newSize} entries (new entries are zero); never shrinks. */
    public void grow(long newSize) {
        if (newSize <= size) {
            return;
        }
        if (newSize > MAX_ENTRIES) {
            throw new IllegalArgumentException("refcount array cannot grow past " + MAX_ENTRIES + " entries");
        }
        int n = chunkCount(newSize);
        if (n > chunks.length) {
            char[][] next = new char[Math.max(n, Math.min(chunkCount(MAX_ENTRIES), chunks.length * 2))][];
            System.arraycopy(chunks, 0, next, 0, chunks.length);
            chunks = next;
        }
        size = newSize;
    }

    /** The count of entry {@code index} (0 for an untouched one). */
    public long get(long index) {
        check(index);
        char[] c = chunks[(int) (index >>> CHUNK_BITS)];
        if (c == null) {
            return 0;
        }
        int v = c[(int) (index & (CHUNK_SIZE - 1))];
        if (v == ESCAPE) {
            return overflow.get(index);
        }
        return v;
    }

    /** Sets entry {@code index} to the unsigned value {@code value}. */
    public void set(long index, long value) {
        check(index);
        int ci = (int) (index >>> CHUNK_BITS);
        char[] c = chunks[ci];
        if (c == null) {
            if (value == 0) {
                return;
            }
            c = new char[CHUNK_SIZE];
            chunks[ci] = c;
        }
        int i = (int) (index & (CHUNK_SIZE - 1));
        if (value >= 0 && value < ESCAPE) {
            if (c[i] == ESCAPE) {
                overflow.remove(index);
            }
            c[i] = (char) value;
        } else {
            c[i] = ESCAPE;
            overflow.put(index, value);
        }
    }

    /**
     * Adds one to entry {@code index} unless it already holds {@code max} (the image's largest refcount,
     * unsigned); returns false, leaving the entry unchanged, in that case.
     */
    public boolean increment(long index, long max) {
        long v = get(index);
        if (v == max) {
            return false;
        }
        set(index, v + 1);
        return true;
    }

    /** True when every entry in [from, to) is zero (cheap over untouched chunks). */
    public boolean allZero(long from, long to) {
        long i = Math.max(0, from);
        long end = Math.min(to, size);
        while (i < end) {
            char[] c = chunks[(int) (i >>> CHUNK_BITS)];
            long chunkEnd = Math.min(end, ((i >>> CHUNK_BITS) + 1) << CHUNK_BITS);
            if (c != null) {
                for (long j = i; j < chunkEnd; j++) {
                    if (c[(int) (j & (CHUNK_SIZE - 1))] != 0) {
                        return false;
                    }
                }
            }
            i = chunkEnd;
        }
        return true;
    }

    /** Sets every entry to zero and releases the chunks. */
    public void clear() {
        java.util.Arrays.fill(chunks, null);
        overflow.clear();
    }

    /** Bytes held by chunks (for tests and memory reports). */
    public long allocatedBytes() {
        long n = 0;
        for (char[] c : chunks) {
            if (c != null) {
                n += 2L * c.length;
            }
        }
        return n;
    }

    private void check(long index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("refcount index " + index + " outside 0.." + (size - 1));
        }
    }
}
