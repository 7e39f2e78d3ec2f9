package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.QemuOpenRules;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * The refcounts of an existing qcow2 image opened for writing by {@link Qcow2Updater}. Refcounts are kept
 * exact on disk at all times: every change is written through at once (entry bytes only), so the image
 * never needs the dirty bit (a writer that orders its own flushes may hold changes back: {@link #deferWrites()}).
 * Allocation follows QEMU's rules: the first cluster whose refcount is 0 is taken
 * (clusters past the refcount table's reach count as free); a missing refcount block is placed at that
 * first free cluster and describes itself; when the refcount table is too short it is rebuilt larger past
 * the end of the file, together with the refcount blocks that the new area itself needs, and the header is
 * switched over before the old table is freed.
 */
final class UpdaterRefcounts {
    /** Host offsets must fit the 56-bit offset field of L1/L2 entries. */
    private static final long MAX_HOST_OFFSET = 1L << 56;

    private final FileChannel ch;
    private final Path file;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    private final int blockBits;
    private final long max;
    private long[] table;
    private long tableOffset;
    private final Map<Long, byte[]> blocks = new HashMap<>();
    /** Refcount blocks changed since {@link #writeChangedBlocksWhole}. */
    private final java.util.Set<Long> changed = new java.util.TreeSet<>();
    private long cursor;
    private java.util.TreeMap<Long, int[]> deferred;
    private FileAction beforeGrow;

    /** Something to do with the file, e.g. write out what a caller still holds in memory. */
    interface FileAction {
        void run() throws IOException;
    }

    /**
     * {@code action} runs before the refcount table grows (which places the new table past the end of the
     * file): a writer that holds data of allocated clusters in memory writes it there, so that the file's end
     * lies past every allocated cluster.
     */
    void beforeGrow(FileAction action) {
        this.beforeGrow = action;
    }

    /**
     * A corruption met the way QEMU meets it, worded as QEMU's {@code qcow2_signal_corruption} event; {@link
     * #errno()} is the error the operation then fails with.
     */
    static final class Corruption extends IOException {
        private static final long serialVersionUID = 1L;
        private final String errno;

        Corruption(String event, String errno) {
            super(event);
            this.errno = errno;
        }

        String errno() {
            return errno;
        }
    }

    /**
     * True when refcount table entries are taken as QEMU takes them: unchecked when the table is read, a block
     * past the end of the file reading as zeros, an unaligned one failing ({@link Corruption}) when it is used.
     */
    private final boolean lazy;
    private final int version;

    UpdaterRefcounts(FileChannel ch, Path file, Qcow2Header h) throws IOException {
        this(ch, file, h, false);
    }

    /** With {@code lazy}, the refcount table's entries are judged when used, as QEMU judges them. */
    UpdaterRefcounts(FileChannel ch, Path file, Qcow2Header h, boolean lazy) throws IOException {
        this.lazy = lazy;
        this.version = h.version();
        this.ch = ch;
        this.file = file;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder();
        this.blockBits = clusterBits + 3 - order;
        this.max = RefcountCodec.max(order);
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

    int clusterBits() {
        return clusterBits;
    }

    /** Entries of the refcount table as it is now (it grows when an allocation needs it). */
    int tableEntries() {
        return table.length;
    }

    /** The refcount table's host offset as it is now. */
    long tableOffset() {
        return tableOffset;
    }

    /** The host offset of refcount block {@code index}, 0 when there is none. */
    long blockOffset(int index) {
        return table[index];
    }

    /** log2 of the refcounts one block holds. */
    int blockBits() {
        return blockBits;
    }

    /** The refcount of host cluster {@code cluster}; 0 for clusters no refcount block covers. */
    long get(long cluster) throws IOException {
        long b = cluster >>> blockBits;
        if (b >= table.length || table[(int) b] == 0) {
            return 0;
        }
        return RefcountCodec.get(block(b), (int) (cluster & ((1L << blockBits) - 1)), order);
    }

    /** Adds {@code delta} (+1 or -1) to the refcount of a cluster whose refcount block exists. */
    void add(long cluster, int delta) throws IOException {
        long v = get(cluster);
        if (delta < 0 && v == 0) {
            throw new CorruptImageException(file.toString(), cluster << clusterBits,
                    "refcount of host cluster " + cluster + " would drop below 0");
        }
        if (delta > 0 && v == max) {
            throw new ImageLimitException(file + ": refcount of host cluster " + cluster
                    + " would overflow its " + (1 << order) + "-bit entry");
        }
        set(cluster, v + delta);
        if (v + delta == 0 && cluster < cursor) {
            cursor = cluster;
        }
    }

    boolean atMax(long cluster) throws IOException {
        return get(cluster) == max;
    }

    private void set(long cluster, long value) throws IOException {
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

    /**
     * Writes every refcount block changed so far whole, as QEMU's refcount cache writes its clusters back: the
     * bytes are already on disk, but the file's allocated extents (and so {@code info}'s disk size) then match
     * qemu-img's.
     */
    void writeChangedBlocksWhole() throws IOException {
        for (long b : changed) {
            if (b < table.length && table[(int) b] != 0) {
                Positional.writeFully(ch, ByteBuffer.wrap(block(b)), table[(int) b]);
            }
        }
        changed.clear();
    }

    /**
     * From now on, refcount changes stay in memory until {@link #writeDeferred()} (one write per changed block
     * instead of one per change); the caller writes them before anything that relies on them reaches the disk.
     */
    void deferWrites() {
        if (deferred == null) {
            deferred = new java.util.TreeMap<>();
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

    private byte[] block(long b) throws IOException {
        byte[] blk = blocks.get(b);
        if (blk == null) {
            long off = table[(int) b];
            if (lazy) {
                // qcow2_cache_get's check; past the end of the file the block reads as zeros
                if ((off & (clusterSize - 1)) != 0) {
                    throw new Corruption(String.format("Cannot get entry from refcount block cache: Offset %#x is "
                            + "unaligned", off), "Input/output error");
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

    /** Allocates one cluster (refcount set to 1) and returns its host offset; its content is not written. */
    long allocate() throws IOException {
        long c = reserve();
        set(c, 1);
        return c << clusterBits;
    }

    /**
     * The first free host cluster whose refcount block exists (creating blocks or growing the table as
     * needed). Its refcount is still 0: the caller sets it.
     */
    long reserve() throws IOException {
        while (true) {
            long c = cursor;
            while (get(c) != 0) {
                c++;
            }
            cursor = c;
            if (Math.multiplyExact(c + 1, (long) clusterSize) > MAX_HOST_OFFSET) {
                throw new ImageLimitException(file + ": host offset would exceed 2^56 bytes");
            }
            long b = c >>> blockBits;
            if (b >= table.length) {
                growTable(b);
                continue;
            }
            if (table[(int) b] == 0) {
                // The first free cluster lies in a range no block covers: the new block goes there and
                // counts itself.
                byte[] blk = new byte[clusterSize];
                RefcountCodec.set(blk, (int) (c & ((1L << blockBits) - 1)), order, 1);
                long off = c << clusterBits;
                Positional.writeFully(ch, ByteBuffer.wrap(blk), off);
                blocks.put(b, blk);
                table[(int) b] = off;
                ByteBuffer e = ByteBuffer.allocate(8).putLong(0, off);
                Positional.writeFully(ch, e, tableOffset + 8 * b);
                continue;
            }
            return c;
        }
    }

    /**
     * Rebuilds the refcount table large enough for block {@code needed}: the new table and the refcount blocks
     * that describe the new area go past the end of the file; they are written and flushed, then the header
     * points to the new table, then the old table's clusters are freed.
     */
    private void growTable(long needed) throws IOException {
        if (beforeGrow != null) {
            beforeGrow.run(); // the new table goes past the end of the file: everything allocated must be there
        }
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
        long[] grown = java.util.Arrays.copyOf(table, (int) entries);
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
                set(c, 1);
            }
        }
        install(grown, newTableOffset, tableClusters, created);
    }

    /**
     * Writes the new refcount blocks {@code created} (by table index) and the table {@code grown} at
     * {@code newTableOffset}, switches the header to it, then frees the old table's clusters.
     */
    private void install(long[] grown, long newTableOffset, long tableClusters, Map<Long, byte[]> created)
            throws IOException {
        writeDeferred();
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
        long oldOffset = tableOffset;
        long oldClusters = ((long) table.length * 8 + clusterSize - 1) >>> clusterBits;
        table = grown;
        tableOffset = newTableOffset;
        blocks.putAll(created);
        for (long i = 0; i < oldClusters; i++) {
            add((oldOffset >>> clusterBits) + i, -1);
        }
    }

    /**
     * QEMU's {@code qcow2_refcount_area} with an exact size, as {@code qcow2_co_truncate} calls it before it
     * preallocates: at {@code start} (a cluster-aligned offset past every used cluster) the refcount blocks
     * still missing to count everything up to {@code start} plus {@code additional} clusters, then a new
     * refcount table exactly that long; all of them get refcount 1, the header switches to the new table and
     * the old one is freed. Returns the end of the new structures, where the caller's clusters go.
     */
    long refcountArea(long start, long additional) throws IOException {
        long total = org.qimg.format.qcow2.write.WriterMath.refcountMetadata(
                Math.addExact(start >>> clusterBits, additional), clusterSize, order, false)[0];
        long perCluster = clusterSize / 8;
        long tableSize = (total + perCluster - 1) / perCluster * perCluster;
        long tableClusters = tableSize / perCluster;
        if (tableClusters << clusterBits > HeaderLayout.MAX_REFCOUNT_TABLE_BYTES) {
            throw new ImageLimitException("Failed to resize refcount structures: File too large");
        }
        long[] grown = java.util.Arrays.copyOf(table, (int) tableSize);
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
        long[] old = table;
        table = grown;
        try {
            for (long c = start >>> clusterBits; c < end >>> clusterBits; c++) {
                byte[] nb = created.get(c >>> blockBits);
                if (nb != null) {
                    RefcountCodec.set(nb, (int) (c & ((1L << blockBits) - 1)), order, 1);
                } else {
                    set(c, 1);
                }
            }
        } finally {
            table = old;
        }
        install(grown, newTable, tableClusters, created);
        return end;
    }

    /**
     * Allocates {@code n} contiguous clusters (refcounts set to 1) exactly as QEMU's
     * {@code qcow2_alloc_clusters} places them: the first run of {@code n} clusters with refcount 0 from the
     * lowest free index (clusters past the refcount table count as free), counted cluster by cluster; at the
     * first cluster without a refcount block, a block is placed at the next free cluster after the run
     * ({@code alloc_refcount_block}), the partial count is undone and the search starts again. Returns the
     * host offset of the run; its content is not written.
     */
    long allocateRun(long n) throws IOException {
        while (true) {
            long start = freeRun(n);
            long c = start;
            while (c < start + n && hasBlock(c)) {
                set(c, get(c) + 1);
                c++;
            }
            if (c == start + n) {
                return start << clusterBits;
            }
            long grow = -1;
            try {
                grow = placeBlockFor(c);
            } finally {
                for (long k = start; k < c; k++) {
                    add(k, -1);
                }
            }
            if (grow >= 0) {
                // the table itself is too short: rebuilt past the end of the file, with nothing half-counted
                growTable(grow);
            } else if (cursor > start) {
                // QEMU's update_refcount after -EAGAIN: the search starts again at the same clusters
                cursor = start;
            }
        }
    }

    /** True when a refcount block covers host cluster {@code cluster}. */
    boolean covered(long cluster) {
        return cluster >= 0 && hasBlock(cluster);
    }

    private boolean hasBlock(long cluster) {
        long b = cluster >>> blockBits;
        return b < table.length && table[(int) b] != 0;
    }

    /** QEMU's {@code alloc_clusters_noref}: the next run of {@code n} free clusters; the cursor moves past it. */
    private long freeRun(long n) throws IOException {
        long run = 0;
        while (run < n) {
            long idx = cursor++;
            run = get(idx) == 0 ? run + 1 : 0;
        }
        long start = cursor - n;
        if (Math.multiplyExact(cursor, (long) clusterSize) > MAX_HOST_OFFSET) {
            throw new ImageLimitException(file + ": host offset would exceed 2^56 bytes");
        }
        return start;
    }

    /**
     * QEMU's {@code alloc_refcount_block} for host cluster {@code c}, whose block is missing: the new block
     * goes to the next free cluster; it counts itself when it lies in its own range, else its refcount is
     * set in the block that covers it (placing that block first, recursively, when it is missing too).
     * Returns the index of a block the refcount table is too short for (the caller grows the table), else -1.
     */
    private long placeBlockFor(long c) throws IOException {
        long b = c >>> blockBits;
        if (b >= table.length) {
            return b;
        }
        long nb = freeRun(1);
        if (nb == 0) {
            throw new CorruptImageException(file.toString(), 0, "refcount block would be placed at offset 0");
        }
        byte[] blk = new byte[clusterSize];
        if ((nb >>> blockBits) == b) {
            RefcountCodec.set(blk, (int) (nb & ((1L << blockBits) - 1)), order, 1);
        } else if (hasBlock(nb)) {
            set(nb, get(nb) + 1);
        } else {
            return placeBlockFor(nb); // QEMU gives up this attempt (-EAGAIN) once that block is in place
        }
        Positional.writeFully(ch, ByteBuffer.wrap(blk), nb << clusterBits);
        writeDeferred();
        ch.force(false);
        blocks.put(b, blk);
        table[(int) b] = nb << clusterBits;
        Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, nb << clusterBits), tableOffset + 8 * b);
        return -1;
    }

    /**
     * Where QEMU's {@code qcow2_alloc_clusters} of 0 bytes points: the lowest cluster that may be free, as a
     * host offset (nothing is allocated).
     */
    long emptyAllocation() {
        return cursor << clusterBits;
    }

    /** Decrements the refcount of each of the {@code n} clusters from host offset {@code offset}. */
    void free(long offset, long n) throws IOException {
        for (long i = 0; i < n; i++) {
            add((offset >>> clusterBits) + i, -1);
        }
    }

    /**
     * QEMU's {@code qcow2_shrink_reftable}: every refcount block that counts no cluster but (possibly) itself
     * is dropped from the table (the table is rewritten at once), then each dropped block's own refcount is
     * set to 0 in the block that covers it ({@code qcow2_discard_refcount_block}). Returns the host offsets of
     * the dropped blocks (QEMU discards them). A corruption met on the way is a {@link Corruption}: met while
     * reading the blocks nothing is written; met while discarding, the new table is written, the remaining
     * blocks are dropped from memory without their refcounts being touched, and the first corruption is thrown.
     */
    java.util.List<Long> dropUnusedBlocks() throws IOException {
        java.util.List<Long> dropped = new java.util.ArrayList<>();
        long[] kept = table.clone();
        for (int i = 0; i < table.length; i++) {
            if (table[i] == 0) {
                continue;
            }
            byte[] blk = block(i).clone();
            long self = table[i] >>> clusterBits;
            if ((self >>> blockBits) == i) {
                RefcountCodec.set(blk, (int) (self & ((1L << blockBits) - 1)), order, 0);
            }
            boolean unused = true;
            for (byte x : blk) {
                if (x != 0) {
                    unused = false;
                    break;
                }
            }
            if (unused) {
                kept[i] = 0;
            }
        }
        ByteBuffer t = ByteBuffer.allocate(table.length * 8);
        for (long v : kept) {
            t.putLong(v);
        }
        t.flip();
        Positional.writeFully(ch, t, tableOffset);
        ch.force(false);
        Corruption failed = null;
        for (int i = 0; i < table.length; i++) {
            if (table[i] != 0 && kept[i] == 0) {
                long off = table[i];
                if (failed == null) {
                    try {
                        discardBlock(off);
                    } catch (Corruption c) {
                        failed = c;
                    }
                }
                blocks.remove((long) i);
                dropped.add(off);
                table[i] = 0;
            }
        }
        if (failed != null) {
            throw failed;
        }
        return dropped;
    }

    /** QEMU's {@code qcow2_discard_refcount_block}: the refcount of the dropped block at {@code off} becomes 0. */
    private void discardBlock(long off) throws IOException {
        long cluster = off >>> clusterBits;
        long index = (off >>> (blockBits + clusterBits)) & 0xffffffffL; // QEMU keeps it in a uint32_t
        long covering = index < table.length ? table[(int) index] : 0;
        if (covering == 0) {
            throw new Corruption(String.format("Refblock at %#x is not covered by the refcount structures", off),
                    "Input/output error");
        }
        byte[] blk = block(index);
        int at = (int) (cluster & ((1L << blockBits) - 1));
        long refcount = RefcountCodec.get(blk, at, order);
        if (refcount != 1) {
            throw new Corruption(String.format("Invalid refcount: refblock offset %#x, reftable index %d, block "
                    + "offset %#x, refcount %#x", covering, index, off, refcount), "Invalid argument");
        }
        set(cluster, 0);
        if (cluster < cursor) {
            cursor = cluster;
        }
    }

    /**
     * QEMU's {@code qcow2_signal_corruption} for a fatal event: the corrupt bit is set in the header (version 3
     * images; version 2 has no feature bits), and the event line qemu-img prints is returned.
     */
    String markCorrupt(Corruption c) throws IOException {
        if (version >= 3) {
            ByteBuffer b = ByteBuffer.allocate(8);
            Positional.readFully(ch, b, HeaderLayout.OFF_INCOMPAT, file);
            long bits = b.getLong(0) | HeaderLayout.INCOMPAT_CORRUPT;
            Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, bits), HeaderLayout.OFF_INCOMPAT);
            ch.force(false);
        }
        return "qcow2: Marking image as corrupt: " + c.getMessage() + "; further corruption events will be suppressed";
    }

    /** The highest host cluster below {@code clusters} whose refcount is not 0, or -1. */
    long lastUsedCluster(long clusters) throws IOException {
        for (long c = clusters - 1; c >= 0; c--) {
            if (get(c) != 0) {
                return c;
            }
        }
        return -1;
    }
}
