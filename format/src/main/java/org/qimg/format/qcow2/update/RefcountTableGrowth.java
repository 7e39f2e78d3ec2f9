package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.RefcountCodec;
import org.qimg.format.qcow2.write.WriterMath;

/**
 * Growth of the refcount table of an image opened by {@link UpdaterRefcounts}, as QEMU's
 * {@code alloc_refcount_block} (table too short) and {@code qcow2_refcount_area} do it: a new, longer table
 * and the refcount blocks that describe the new area itself are placed in a fresh area, written and flushed;
 * then the header points to the new table, then the old table's clusters are freed.
 */
final class RefcountTableGrowth {
    private final UpdaterRefcounts owner;
    private final RefcountBlockCache cache;
    private final FileChannel ch;
    private final Path file;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    private final int blockBits;

    RefcountTableGrowth(UpdaterRefcounts owner, RefcountBlockCache cache, FileChannel ch, Path file,
            int clusterBits, int order) {
        this.owner = owner;
        this.cache = cache;
        this.ch = ch;
        this.file = file;
        this.clusterBits = clusterBits;
        this.clusterSize = 1 << clusterBits;
        this.order = order;
        this.blockBits = clusterBits + 3 - order;
    }

    /**
     * Rebuilds the refcount table large enough for block {@code needed}: the new table and the refcount blocks
     * that describe the new area go past the end of the file; they are written and flushed, then the header
     * points to the new table, then the old table's clusters are freed.
     */
    void grow(long needed) throws IOException {
        long[] table = cache.table();
        long start = (ch.size() + clusterSize - 1) >>> clusterBits;
        int perCluster = clusterSize / 8;
        long entries = Math.max(needed + 1, table.length + 1);
        long tableClusters;
        long newBlocks = 0;
        while (true) {
            tableClusters = (entries + perCluster - 1) / perCluster;
            entries = tableClusters * perCluster;
            long end = start + tableClusters + newBlocks;
            long lastBlock = (end - 1) >>> blockBits;
            long count = 0;
            for (long b = start >>> blockBits; b <= lastBlock; b++) {
                if (b >= table.length || table[(int) b] == 0) {
                    count++;
                }
            }
            if (lastBlock < entries && count == newBlocks) {
                break;
            }
            entries = Math.max(entries, lastBlock + 1);
            newBlocks = count;
        }
        if (tableClusters << clusterBits > HeaderLayout.MAX_REFCOUNT_TABLE_BYTES) {
            throw new ImageLimitException(file + ": refcount table would exceed 8 MiB");
        }
        long[] grown = Arrays.copyOf(table, (int) entries);
        long newTableOffset = start << clusterBits;
        long next = start + tableClusters;
        Map<Long, byte[]> created = new HashMap<>();
        long end = start + tableClusters + newBlocks;
        for (long b = start >>> blockBits; b <= (end - 1) >>> blockBits; b++) {
            if (grown[(int) b] == 0) {
                grown[(int) b] = next << clusterBits;
                created.put(b, new byte[clusterSize]);
                next++;
            }
        }
        // Refcount 1 for every cluster of the new area: in the new blocks (memory) or existing ones (on disk).
        for (long c = start; c < end; c++) {
            long b = c >>> blockBits;
            int idx = (int) (c & ((1L << blockBits) - 1));
            byte[] nb = created.get(b);
            if (nb != null) {
                RefcountCodec.set(nb, idx, order, 1);
            } else {
                cache.set(c, 1);
            }
        }
        install(grown, newTableOffset, tableClusters, created);
    }

    /** See {@link UpdaterRefcounts#refcountArea(long, long)}. */
    long refcountArea(long start, long additional) throws IOException {
        long total = WriterMath.refcountMetadata(
                Math.addExact(start >>> clusterBits, additional), clusterSize, order, false)[0];
        long perCluster = clusterSize / 8;
        long tableSize = (total + perCluster - 1) / perCluster * perCluster;
        long tableClusters = tableSize / perCluster;
        if (tableClusters << clusterBits > HeaderLayout.MAX_REFCOUNT_TABLE_BYTES) {
            throw new ImageLimitException("Failed to resize refcount structures: File too large");
        }
        long[] grown = Arrays.copyOf(cache.table(), (int) tableSize);
        long areaIndex = (start >>> clusterBits) >>> blockBits;
        long blocksNeeded = 0;
        for (long i = areaIndex; i < total; i++) {
            if (grown[(int) i] == 0) {
                blocksNeeded++;
            }
        }
        long newTable = start + blocksNeeded * clusterSize;
        long end = newTable + tableClusters * clusterSize;
        Map<Long, byte[]> created = new HashMap<>();
        long next = start;
        for (long i = areaIndex; i < total; i++) {
            if (grown[(int) i] == 0) {
                grown[(int) i] = next;
                created.put(i, new byte[clusterSize]);
                next += clusterSize;
            }
        }
        long[] old = cache.swapTable(grown);
        try {
            for (long c = start >>> clusterBits; c < end >>> clusterBits; c++) {
                byte[] nb = created.get(c >>> blockBits);
                if (nb != null) {
                    RefcountCodec.set(nb, (int) (c & ((1L << blockBits) - 1)), order, 1);
                } else {
                    cache.set(c, 1);
                }
            }
        } finally {
            cache.swapTable(old);
        }
        install(grown, newTable, tableClusters, created);
        return end;
    }

    /**
     * Writes the new refcount blocks {@code created} (by table index) and the table {@code grown} at
     * {@code newTableOffset}, switches the header to it, then frees the old table's clusters.
     */
    private void install(long[] grown, long newTableOffset, long tableClusters, Map<Long, byte[]> created)
            throws IOException {
        cache.writeDeferred();
        for (Map.Entry<Long, byte[]> e : created.entrySet()) {
            Positional.writeFully(ch, ByteBuffer.wrap(e.getValue()), grown[(int) (long) e.getKey()]);
        }
        ByteBuffer t = ByteBuffer.allocate((int) (tableClusters << clusterBits));
        for (long v : grown) {
            t.putLong(v);
        }
        t.flip();
        Positional.writeFully(ch, t, newTableOffset);
        ch.force(false);
        ByteBuffer hdr = ByteBuffer.allocate(12).putLong(newTableOffset).putInt((int) tableClusters);
        hdr.flip();
        Positional.writeFully(ch, hdr, 48);
        ch.force(false);
        long oldOffset = cache.tableOffset();
        long oldClusters = ((long) cache.table().length * 8 + clusterSize - 1) >>> clusterBits;
        cache.replaceTable(grown, newTableOffset);
        cache.putBlocks(created);
        owner.free(oldOffset, oldClusters);
    }
}
