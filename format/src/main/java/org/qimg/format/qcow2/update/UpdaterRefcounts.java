package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * The refcounts of an existing qcow2 image opened for writing by {@link Qcow2Updater}: the allocation policy
 * and the API its users call. Refcounts are kept
 * exact on disk at all times: every change is written through at once (entry bytes only), so the image
 * never needs the dirty bit (a writer that orders its own flushes may hold changes back: {@link #deferWrites()}).
 * Allocation follows QEMU's rules: the first cluster whose refcount is 0 is taken
 * (clusters past the refcount table's reach count as free); a missing refcount block is placed at that
 * first free cluster and describes itself; when the refcount table is too short it is rebuilt larger past
 * the end of the file ({@link RefcountTableGrowth}). The table and the blocks themselves, with the
 * write-through, deferred and whole-block writes, live in {@link RefcountBlockCache}; shrinking the table
 * (QEMU's {@code qcow2_shrink_reftable}, resize) is here.
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
    private final RefcountBlockCache cache;
    private final RefcountTableGrowth growth;
    private long cursor;
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

    private final int version;

    UpdaterRefcounts(FileChannel ch, Path file, Qcow2Header h) throws IOException {
        this(ch, file, h, false);
    }

    /**
     * With {@code lazy}, the refcount table's entries are taken as QEMU takes them: unchecked when the table is
     * read, a block past the end of the file reading as zeros, an unaligned one failing ({@link Corruption})
     * when it is used.
     */
    UpdaterRefcounts(FileChannel ch, Path file, Qcow2Header h, boolean lazy) throws IOException {
        this.version = h.version();
        this.ch = ch;
        this.file = file;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder();
        this.blockBits = clusterBits + 3 - order;
        this.max = RefcountCodec.max(order);
        this.cache = new RefcountBlockCache(ch, file, h, lazy);
        this.growth = new RefcountTableGrowth(this, cache, ch, file, clusterBits, order);
    }

    int clusterBits() {
        return clusterBits;
    }

    /** Entries of the refcount table as it is now (it grows when an allocation needs it). */
    int tableEntries() {
        return cache.table().length;
    }

    /** The refcount table's host offset as it is now. */
    long tableOffset() {
        return cache.tableOffset();
    }

    /** The host offset of refcount block {@code index}, 0 when there is none. */
    long blockOffset(int index) {
        return cache.table()[index];
    }

    /** log2 of the refcounts one block holds. */
    int blockBits() {
        return blockBits;
    }

    /** The refcount of host cluster {@code cluster}; 0 for clusters no refcount block covers. */
    long get(long cluster) throws IOException {
        return cache.get(cluster);
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
        cache.set(cluster, value);
    }

    /**
     * Writes every refcount block changed so far whole, as QEMU's refcount cache writes its clusters back: the
     * bytes are already on disk, but the file's allocated extents (and so {@code info}'s disk size) then match
     * qemu-img's.
     */
    void writeChangedBlocksWhole() throws IOException {
        cache.writeChangedBlocksWhole();
    }

    /**
     * From now on, refcount changes stay in memory until {@link #writeDeferred()} (one write per changed block
     * instead of one per change); the caller writes them before anything that relies on them reaches the disk.
     */
    void deferWrites() {
        cache.deferWrites();
    }

    /** Writes the refcount changes held back by {@link #deferWrites()}: the changed range of each block. */
    void writeDeferred() throws IOException {
        cache.writeDeferred();
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
            if (b >= cache.table().length) {
                growTable(b);
                continue;
            }
            if (cache.table()[(int) b] == 0) {
                // The first free cluster lies in a range no block covers: the new block goes there and
                // counts itself.
                byte[] blk = new byte[clusterSize];
                RefcountCodec.set(blk, (int) (c & ((1L << blockBits) - 1)), order, 1);
                long off = c << clusterBits;
                Positional.writeFully(ch, ByteBuffer.wrap(blk), off);
                cache.addBlock(b, blk, off);
                continue;
            }
            return c;
        }
    }

    /** Rebuilds the refcount table large enough for block {@code needed} ({@link RefcountTableGrowth}). */
    private void growTable(long needed) throws IOException {
        if (beforeGrow != null) {
            beforeGrow.run(); // the new table goes past the end of the file: everything allocated must be there
        }
        growth.grow(needed);
    }


    /**
     * QEMU's {@code qcow2_refcount_area} with an exact size, as {@code qcow2_co_truncate} calls it before it
     * preallocates: at {@code start} (a cluster-aligned offset past every used cluster) the refcount blocks
     * still missing to count everything up to {@code start} plus {@code additional} clusters, then a new
     * refcount table exactly that long; all of them get refcount 1, the header switches to the new table and
     * the old one is freed. Returns the end of the new structures, where the caller's clusters go.
     */
    long refcountArea(long start, long additional) throws IOException {
        return growth.refcountArea(start, additional);
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
        return cache.hasBlock(cluster);
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
        if (b >= cache.table().length) {
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
        cache.addBlock(b, blk, nb << clusterBits);
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
        long[] table = cache.table();
        long[] kept = table.clone();
        for (int i = 0; i < table.length; i++) {
            if (table[i] == 0) {
                continue;
            }
            byte[] blk = cache.block(i).clone();
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
        Positional.writeFully(ch, t, cache.tableOffset());
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
                cache.dropBlock(i);
                dropped.add(off);
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
        long[] table = cache.table();
        long covering = index < table.length ? table[(int) index] : 0;
        if (covering == 0) {
            throw new Corruption(String.format("Refblock at %#x is not covered by the refcount structures", off),
                    "Input/output error");
        }
        byte[] blk = cache.block(index);
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