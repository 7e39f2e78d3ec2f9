package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.QemuOpenRules;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * The refcount table and the refcount blocks of an image opened by {@link UpdaterRefcounts}, as QEMU's
 * refcount block cache holds them: blocks are read on first use and kept in memory; a refcount change is
 * written through at once (entry bytes only), or held back per block while writes are deferred, and every
 * changed block can be written back whole. In lazy mode (QEMU's way, used by resize) the table's entries are
 * judged when a block is used rather than when the table is read. Allocation policy and table growth are
 * not here ({@link UpdaterRefcounts}, {@link RefcountTableGrowth}).
 */
final class RefcountBlockCache {
    private final FileChannel ch;
    private final Path file;
    private final int clusterSize;
    private final int order;
    private final int blockBits;
    /**
     * True when refcount table entries are taken as QEMU takes them: unchecked when the table is read, a block
     * past the end of the file reading as zeros, an unaligned one failing ({@link UpdaterRefcounts.Corruption})
     * when it is used.
     */
    private final boolean lazy;
    private long[] table;
    private long tableOffset;
    private final Map<Long, byte[]> blocks = new HashMap<>();
    /** Refcount blocks changed since {@link #writeChangedBlocksWhole}. */
    private final Set<Long> changed = new TreeSet<>();
    private TreeMap<Long, int[]> deferred;

    /** Reads the refcount table; with {@code lazy}, its entries are judged when used, as QEMU judges them. */
    RefcountBlockCache(FileChannel ch, Path file, Qcow2Header h, boolean lazy) throws IOException {
        this.ch = ch;
        this.file = file;
        this.lazy = lazy;
        int clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder();
        this.blockBits = clusterBits + 3 - order;
        this.tableOffset = h.refcountTableOffset();
        if (tableOffset == 0) {
            throw new CorruptImageException(file.toString(), 48, "refcount table offset is 0: the table would "
                    + "overlap the header (qemu-img check -r all rebuilds it)");
        }
        int entries = (int) (((long) h.refcountTableClusters() << clusterBits) / 8);
        ByteBuffer buf = ByteBuffer.allocate(entries * 8);
        Positional.readFully(ch, buf, tableOffset, file);
        buf.flip();
        table = new long[entries];
        long fileLength = ch.size();
        for (int i = 0; i < entries; i++) {
            long e = buf.getLong();
            if (lazy) {
                table[i] = e & Entries.REFTABLE_OFFSET_MASK;
                continue;
            }
            long off = e & OFFSET_MASK;
            if (e != off || (off & (clusterSize - 1)) != 0 || (off != 0 && off > fileLength - clusterSize)) {
                throw new CorruptImageException(file.toString(), tableOffset + 8L * i, "refcount table entry "
                        + i + " must be a cluster-aligned offset inside the file, found 0x" + Long.toHexString(e));
            }
            table[i] = off;
        }
    }

    /** The refcount table as it is now (the live array; callers only read it). */
    long[] table() {
        return table;
    }

    /** The refcount table's host offset as it is now. */
    long tableOffset() {
        return tableOffset;
    }

    /** Switches to table {@code t} at {@code offset} (the header already points there). */
    void replaceTable(long[] t, long offset) {
        table = t;
        tableOffset = offset;
    }

    /**
     * Uses {@code t} as the table in memory only, returning the one it replaces (to compute refcounts of an
     * area whose table is not installed yet).
     */
    long[] swapTable(long[] t) {
        long[] old = table;
        table = t;
        return old;
    }

    /** Puts new refcount block {@code blk} (already on disk) at table index {@code b}, writing the entry. */
    void addBlock(long b, byte[] blk, long off) throws IOException {
        blocks.put(b, blk);
        table[(int) b] = off;
        Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, off), tableOffset + 8 * b);
    }

    /** Adds blocks (by table index) written together with a new table. */
    void putBlocks(Map<Long, byte[]> created) {
        blocks.putAll(created);
    }

    /** Forgets block {@code b}, which was dropped from the table (the on-disk table is already rewritten). */
    void dropBlock(int b) {
        blocks.remove((long) b);
        table[b] = 0;
    }

    /** True when a refcount block covers host cluster {@code cluster}. */
    boolean hasBlock(long cluster) {
        long b = cluster >>> blockBits;
        return b < table.length && table[(int) b] != 0;
    }

    /** The refcount of host cluster {@code cluster}; 0 for clusters no refcount block covers. */
    long get(long cluster) throws IOException {
        long b = cluster >>> blockBits;
        if (b >= table.length || table[(int) b] == 0) {
            return 0;
        }
        return RefcountCodec.get(block(b), (int) (cluster & ((1L << blockBits) - 1)), order);
    }

    /** Sets the refcount of a cluster whose block exists: written through, or held back when deferred. */
    void set(long cluster, long value) throws IOException {
        long b = cluster >>> blockBits;
        if (b >= table.length || table[(int) b] == 0) {
            throw new IllegalStateException("no refcount block for host cluster " + cluster);
        }
        byte[] blk = block(b);
        int idx = (int) (cluster & ((1L << blockBits) - 1));
        RefcountCodec.set(blk, idx, order, value);
        int at = RefcountCodec.byteOffset(idx, order);
        changed.add(b);
        int len = RefcountCodec.byteLength(order);
        if (deferred != null) {
            int[] range = deferred.computeIfAbsent(b, k -> new int[] {at, at + len});
            range[0] = Math.min(range[0], at);
            range[1] = Math.max(range[1], at + len);
            return;
        }
        Positional.writeFully(ch, ByteBuffer.wrap(blk, at, len), table[(int) b] + at);
    }

    /** See {@link UpdaterRefcounts#writeChangedBlocksWhole()}. */
    void writeChangedBlocksWhole() throws IOException {
        for (long b : changed) {
            if (b < table.length && table[(int) b] != 0) {
                Positional.writeFully(ch, ByteBuffer.wrap(block(b)), table[(int) b]);
            }
        }
        changed.clear();
    }

    /** See {@link UpdaterRefcounts#deferWrites()}. */
    void deferWrites() {
        if (deferred == null) {
            deferred = new TreeMap<>();
        }
    }

    /** Writes the refcount changes held back by {@link #deferWrites()}: the changed range of each block. */
    void writeDeferred() throws IOException {
        if (deferred == null) {
            return;
        }
        for (Map.Entry<Long, int[]> e : deferred.entrySet()) {
            int[] r = e.getValue();
            if (!blocks.containsKey(e.getKey())) {
                continue; // the block was dropped from the table
            }
            Positional.writeFully(ch, ByteBuffer.wrap(blocks.get(e.getKey()), r[0], r[1] - r[0]),
                    table[(int) (long) e.getKey()] + r[0]);
        }
        deferred.clear();
    }

    /** Refcount block {@code b} (whose table entry is not 0), read on first use. */
    byte[] block(long b) throws IOException {
        byte[] blk = blocks.get(b);
        if (blk == null) {
            long off = table[(int) b];
            if (lazy) {
                // qcow2_cache_get's check; past the end of the file the block reads as zeros
                if ((off & (clusterSize - 1)) != 0) {
                    throw new UpdaterRefcounts.Corruption(String.format("Cannot get entry from refcount block "
                            + "cache: Offset %#x is unaligned", off), "Input/output error");
                }
                blk = QemuOpenRules.readZeroPadded(ch, file, off, clusterSize).array();
            } else {
                blk = new byte[clusterSize];
                Positional.readFully(ch, ByteBuffer.wrap(blk), off, file);
            }
            blocks.put(b, blk);
        }
        return blk;
    }
}
