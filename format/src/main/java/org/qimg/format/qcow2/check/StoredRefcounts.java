package org.qimg.format.qcow2.check;

import static org.qimg.format.qcow2.layout.Entries.REFTABLE_OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * The refcounts as the image stores them: the refcount table (held in memory, at most 8 MiB as QEMU
 * allows) and refcount blocks read on demand through a small LRU cache. Writes go straight to the file.
 */
final class StoredRefcounts {
    private static final long CACHE_BYTES = 8L << 20;

    private final ImageFile file;
    private final int clusterBits;
    private final int order;
    private final int blockBits;
    private long[] table;
    private long tableEntries;
    private final Map<Long, byte[]> cache;
    /** The block asked for last: a check walks the clusters in order, thousands of them per block. */
    private long lastOffset = -1;
    /**
     * Blocks changed after QEMU would have made the image unusable: QEMU's changes stay in its refcount cache,
     * which is never written back, so these are kept here (read by later lookups) and never written.
     */
    private final Map<Long, byte[]> unwritten = new java.util.HashMap<>();
    private boolean holdWrites;
    private byte[] lastBlock;

    StoredRefcounts(ImageFile file, CheckHeader h) throws IOException {
        this.file = file;
        this.clusterBits = h.clusterBits;
        this.order = h.refcountOrder;
        this.blockBits = h.clusterBits + 3 - h.refcountOrder;
        int maxBlocks = (int) Math.max(4, CACHE_BYTES >> clusterBits);
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, byte[]> e) {
                return size() > maxBlocks;
            }
        };
        load(h.reftableOffset, h.reftableClusters);
    }

    /** (Re)reads the refcount table at {@code offset}; entries past the end of the file read as zero. */
    void load(long offset, long clusters) throws IOException {
        tableEntries = clusters << (clusterBits - 3);
        long inFile = offset >= file.length() ? 0 : Math.min(tableEntries, (file.length() - offset + 7) / 8);
        table = new long[(int) inFile];
        byte[] buf = file.read(offset, (int) (inFile * 8));
        ByteBuffer b = ByteBuffer.wrap(buf);
        for (int i = 0; i < table.length; i++) {
            table[i] = b.getLong(i * 8);
        }
        cache.clear();
        unwritten.clear(); // QEMU empties its refcount cache when the structure is rebuilt
        lastOffset = -1;
        lastBlock = null;
    }

    /** Number of entries the refcount table declares. */
    long tableEntries() {
        return tableEntries;
    }

    /** Raw refcount table entry {@code i} (0 past the end of the file). */
    long tableEntry(long i) {
        return i < table.length ? table[(int) i] : 0;
    }

    /** log2 of the clusters one refcount block describes. */
    int blockBits() {
        return blockBits;
    }

    /**
     * Offset of the refcount block for {@code cluster}, 0 when none, or negative when it cannot be read:
     * -1 when it is not cluster aligned, the offset itself (bit 63 set) when it lies past 2^63.
     */
    long blockOffset(long cluster) {
        long ti = cluster >>> blockBits;
        if (ti >= tableEntries) {
            return 0;
        }
        long off = tableEntry(ti) & REFTABLE_OFFSET_MASK;
        if ((off & ((1L << clusterBits) - 1)) != 0) {
            return -1;
        }
        return off;
    }

    /** The stored refcount of {@code cluster}; the caller has checked {@link #blockOffset} is not negative. */
    long get(long cluster) throws IOException {
        long off = blockOffset(cluster);
        if (off <= 0) {
            return 0;
        }
        return RefcountCodec.get(block(off), (int) (cluster & ((1L << blockBits) - 1)), order);
    }

    /** Writes {@code value} as the stored refcount of {@code cluster}, whose refcount block must exist. */
    void set(long cluster, long value) throws IOException {
        long off = blockOffset(cluster);
        if (off <= 0) {
            throw new IllegalStateException("no refcount block for cluster " + cluster);
        }
        byte[] b = block(off);
        int index = (int) (cluster & ((1L << blockBits) - 1));
        if (holdWrites && !unwritten.containsKey(off)) {
            b = b.clone();
            unwritten.put(off, b);
            lastOffset = -1;
        }
        RefcountCodec.set(b, index, order, value);
        if (holdWrites) {
            return;
        }
        int at = RefcountCodec.byteOffset(index, order);
        file.write(off + at, b, at, RefcountCodec.byteLength(order));
    }

    /** Writes the held blocks (QEMU flushes its caches when it marks the repaired image clean). */
    void writeHeld() throws IOException {
        for (Map.Entry<Long, byte[]> e : unwritten.entrySet()) {
            file.write(e.getKey(), e.getValue(), 0, e.getValue().length);
        }
        unwritten.clear();
    }

    /** From now on, refcount changes are seen by this check but not written (see {@link #unwritten}). */
    void holdWrites() {
        holdWrites = true;
    }

    private byte[] block(long off) throws IOException {
        if (off == lastOffset) {
            return lastBlock;
        }
        byte[] b = unwritten.get(off);
        if (b == null) {
            b = cache.get(off);
        }
        if (b == null) {
            b = file.read(off, 1 << clusterBits);
            cache.put(off, b);
        }
        lastOffset = off;
        lastBlock = b;
        return b;
    }
}
