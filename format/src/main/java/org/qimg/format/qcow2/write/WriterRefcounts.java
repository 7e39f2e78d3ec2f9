package org.qimg.format.qcow2.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.qimg.format.ImageLimitException;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * The host cluster allocator of a new qcow2 image, following the decisions QEMU 7.2's qcow2 driver makes
 * (block/qcow2-refcount.c) so that the resulting layout matches qemu-img's byte for byte: a free-cluster
 * cursor that only moves back when a refcount drops to zero, refcount blocks allocated on demand at the
 * cursor (describing themselves when they fall in their own range), "try again" after a new block was
 * hooked up (undoing the partial update first), and a refcount table that grows by building a
 * self-describing area of new blocks and a 1.5x table at the next refcount-block boundary.
 *
 * <p>Refcount blocks live in memory (one cluster each, i.e. O(host size / (cluster_size * refcounts per
 * block))) and are written by {@link #writeAll()}. Not thread-safe.
 */
final class WriterRefcounts {
    private final WriterFile file;
    private final int clusterBits;
    private final int clusterSize;
    private final int refcountOrder;
    /** log2 of the number of refcounts in one block. */
    private final int refblockBits;
    private final long refblockSize;
    private final long refcountMax;

    private long[] table;
    private long tableOffset;
    /** Refcount blocks by host offset. */
    private final Map<Long, byte[]> blocks = new HashMap<>();
    private long freeClusterIndex;
    private long freeByteOffset;

    /**
     * Starts from the state qemu-img create leaves before its first allocation: a one-cluster refcount table
     * at cluster 1 whose only entry points to an empty refcount block at cluster 2.
     */
    WriterRefcounts(WriterFile file, int clusterBits, int refcountOrder) {
        this.file = file;
        this.clusterBits = clusterBits;
        this.clusterSize = 1 << clusterBits;
        this.refcountOrder = refcountOrder;
        this.refblockBits = clusterBits + 3 - refcountOrder;
        this.refblockSize = 1L << refblockBits;
        this.refcountMax = refcountOrder == 6 ? Long.MAX_VALUE : (1L << (1 << refcountOrder)) - 1;
        this.table = new long[clusterSize / 8];
        this.tableOffset = clusterSize;
        table[0] = 2L * clusterSize;
        blocks.put(2L * clusterSize, new byte[clusterSize]);
    }

    long tableOffset() {
        return tableOffset;
    }

    int tableClusters() {
        return (int) ((long) table.length * 8 / clusterSize);
    }

    long getRefcount(long clusterIndex) {
        long ti = clusterIndex >>> refblockBits;
        if (ti >= table.length || table[(int) ti] == 0) {
            return 0;
        }
        return get(blocks.get(table[(int) ti]), (int) (clusterIndex & (refblockSize - 1)));
    }

    /** qcow2_alloc_clusters: {@code size} bytes of whole clusters, refcount 1 each; returns the offset. */
    long allocClusters(long size) throws IOException {
        long offset;
        do {
            offset = allocClustersNoref(size);
        } while (!updateRefcount(offset, size, 1, false));
        return offset;
    }

    /** qcow2_alloc_bytes: byte-granular space for one compressed payload of {@code size} bytes. */
    long allocBytes(int size) throws IOException {
        long offset = freeByteOffset;
        if (offset != 0 && getRefcount(offset >>> clusterBits) == refcountMax) {
            offset = 0;
        }
        long freeInCluster = clusterSize - (offset & (clusterSize - 1));
        boolean ok;
        do {
            if (offset == 0 || freeInCluster < size) {
                long newCluster = allocClustersNoref(clusterSize);
                if (offset == 0 || roundUp(offset) != newCluster) {
                    offset = newCluster;
                    freeInCluster = clusterSize;
                } else {
                    freeInCluster += clusterSize;
                }
            }
            ok = updateRefcount(offset, size, 1, false);
            if (!ok) {
                offset = 0;
            }
        } while (!ok);
        freeByteOffset = offset + size;
        if ((freeByteOffset & (clusterSize - 1)) == 0) {
            freeByteOffset = 0;
        }
        return offset;
    }

    /** Writes every refcount block and the refcount table at their final places. */
    void writeAll() throws IOException {
        for (Map.Entry<Long, byte[]> e : blocks.entrySet()) {
            file.writeQuiet(e.getKey(), ByteBuffer.wrap(e.getValue()));
        }
        writeTable();
    }

    private void writeTable() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(table.length * 8);
        for (long e : table) {
            b.putLong(e);
        }
        b.flip();
        file.writeQuiet(tableOffset, b);
    }

    private long roundUp(long offset) {
        return (offset + clusterSize - 1) & -(long) clusterSize;
    }

    private long allocClustersNoref(long size) throws ImageLimitException {
        long n = (size + clusterSize - 1) >>> clusterBits;
        for (long i = 0; i < n; i++) {
            long idx = freeClusterIndex++;
            if (getRefcount(idx) != 0) {
                i = -1;
            }
        }
        if (freeClusterIndex - 1 > (Long.MAX_VALUE >>> clusterBits)) {
            throw new ImageLimitException("qcow2 image file would exceed the maximum file size");
        }
        return (freeClusterIndex - n) << clusterBits;
    }

    /** update_refcount; false means "try again" (a refcount block was added and the update undone). */
    private boolean updateRefcount(long offset, long length, long addend, boolean decrease) throws IOException {
        if (length <= 0) {
            return true;
        }
        long start = offset & -(long) clusterSize;
        long last = (offset + length - 1) & -(long) clusterSize;
        long oldTableIndex = -1;
        byte[] block = null;
        for (long co = start; co <= last; co += clusterSize) {
            long ci = co >>> clusterBits;
            long ti = ci >>> refblockBits;
            if (ti != oldTableIndex) {
                block = allocRefcountBlock(ci);
                if (block == null) {
                    // QEMU retries with the same clusters first: they may still be free.
                    freeClusterIndex = Math.min(freeClusterIndex, start >>> clusterBits);
                    updateRefcount(offset, co - offset, addend, !decrease);
                    return false;
                }
            }
            oldTableIndex = ti;
            int bi = (int) (ci & (refblockSize - 1));
            long rc = get(block, bi);
            if (decrease) {
                if (Long.compareUnsigned(rc, addend) < 0) {
                    throw new IllegalStateException("refcount of cluster " + ci + " would drop below zero");
                }
                rc -= addend;
            } else {
                if (Long.compareUnsigned(rc, refcountMax - addend) > 0) {
                    throw new ImageLimitException("refcount of host cluster " + ci + " would exceed "
                            + refcountMax + " (refcount_bits=" + (1 << refcountOrder) + ")");
                }
                rc += addend;
            }
            if (rc == 0 && ci < freeClusterIndex) {
                freeClusterIndex = ci;
            }
            set(block, bi, rc);
        }
        return true;
    }

    /** alloc_refcount_block: the block covering the cluster, or null after creating one ("try again"). */
    private byte[] allocRefcountBlock(long clusterIndex) throws IOException {
        long ti = clusterIndex >>> refblockBits;
        if (ti < table.length && table[(int) ti] != 0) {
            return blocks.get(table[(int) ti]);
        }
        long newBlock = allocClustersNoref(clusterSize);
        if ((newBlock >>> (clusterBits + refblockBits)) == ti) {
            byte[] data = new byte[clusterSize];
            set(data, (int) ((newBlock >>> clusterBits) & (refblockSize - 1)), 1);
            blocks.put(newBlock, data);
        } else {
            if (!updateRefcount(newBlock, clusterSize, 1, false)) {
                return null;
            }
            blocks.put(newBlock, new byte[clusterSize]);
        }
        file.noteWrite(newBlock, clusterSize);
        if (ti < table.length) {
            table[(int) ti] = newBlock;
            return null;
        }
        long blocksUsed = ceilDiv(Math.max(clusterIndex + 1, (newBlock >>> clusterBits) + 1), refblockSize);
        long metaOffset = Math.multiplyExact(blocksUsed * refblockSize, (long) clusterSize);
        refcountArea(metaOffset, 0, false, (int) ti, newBlock);
        return null;
    }

    /**
     * The refcount structures preallocation=falloc|full makes ({@code qcow2_co_truncate}): a new exact-size table
     * and refcount blocks from {@code startOffset} covering {@code additionalClusters} more clusters; the old
     * table is freed. Returns where the data area starts (just after the new table).
     */
    long preallocArea(long startOffset, long additionalClusters) throws IOException {
        refcountArea(startOffset, additionalClusters, true, 0, 0);
        return tableOffset + (long) tableClusters() * clusterSize;
    }

    /** qcow2_alloc_clusters_at: {@code size} bytes of clusters at {@code offset} (known free), refcount 1 each. */
    void allocAt(long offset, long size) throws IOException {
        while (!updateRefcount(offset, size, 1, false)) {
            // a refcount block was added: the update is retried, as QEMU's
        }
    }

    /** qcow2_refcount_area: a new table and self-describing refcount blocks starting at startOffset. */
    private void refcountArea(long startOffset, long additionalClusters, boolean exactSize, int newRefblockIndex,
            long newRefblockOffset) throws IOException {
        long totalRefblocks = refblockCount(startOffset / clusterSize + additionalClusters, !exactSize);
        if (totalRefblocks > Integer.MAX_VALUE / 2) {
            throw new ImageLimitException("qcow2 refcount table would be too large");
        }
        int total = (int) totalRefblocks;
        int areaIndex = (int) ((startOffset / clusterSize) / refblockSize);
        long tableSize = exactSize ? total : total + (total + 1) / 2;
        long perCluster = clusterSize / 8;
        tableSize = (tableSize + perCluster - 1) / perCluster * perCluster;
        long tableClusters = tableSize * 8 / clusterSize;
        long[] newTable = new long[(int) tableSize];
        int maxIndex = maxTableIndex();
        System.arraycopy(table, 0, newTable, 0, (int) Math.min(tableSize > maxIndex ? maxIndex + 1 : tableSize,
                table.length));
        if (newRefblockOffset != 0) {
            newTable[newRefblockIndex] = newRefblockOffset;
        }
        long additional = 0;
        for (int i = areaIndex; i < total; i++) {
            if (newTable[i] == 0) {
                additional++;
            }
        }
        long newTableOffset = startOffset + additional * clusterSize;
        long endOffset = newTableOffset + tableClusters * clusterSize;
        long blockOffset = startOffset;
        for (int i = areaIndex; i < total; i++) {
            byte[] data;
            if (newTable[i] != 0) {
                data = blocks.get(newTable[i]);
            } else {
                data = new byte[clusterSize];
                blocks.put(blockOffset, data);
                file.noteWrite(blockOffset, clusterSize);
                newTable[i] = blockOffset;
                blockOffset += clusterSize;
            }
            long firstCovered = (long) i * refblockSize * clusterSize;
            if (firstCovered < endOffset) {
                long j = firstCovered < startOffset ? (startOffset - firstCovered) / clusterSize : 0;
                long end = Math.min((endOffset - firstCovered) / clusterSize, refblockSize);
                for (; j < end; j++) {
                    set(data, (int) j, 1);
                }
            }
        }
        // The old table stays on disk as it was when it was replaced (later writes may cover it).
        writeTable();
        long oldOffset = tableOffset;
        long oldSize = (long) table.length * 8;
        table = newTable;
        tableOffset = newTableOffset;
        file.noteWrite(newTableOffset, tableSize * 8);
        updateRefcount(oldOffset, oldSize, 1, true);
    }

    private int maxTableIndex() {
        int i = table.length - 1;
        while (i > 0 && table[i] == 0) {
            i--;
        }
        return i;
    }

    /** qcow2_refcount_metadata_size's refcount block count for {@code clusters} clusters. */
    private long refblockCount(long clusters, boolean generous) {
        return WriterMath.refcountMetadata(clusters, clusterSize, refcountOrder, generous)[0];
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private long get(byte[] block, int index) {
        return RefcountCodec.get(block, index, refcountOrder);
    }

    private void set(byte[] block, int index, long value) {
        RefcountCodec.set(block, index, refcountOrder, value);
    }
}
