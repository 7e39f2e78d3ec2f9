package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * QEMU's {@code qcow2_change_refcount_order}: the whole refcount structure rewritten with entries of another
 * width.
 *
 * <ol>
 *   <li>Walks over the refcounts as they are, in the new blocks' ranges; each new block that would count a
 *   cluster gets a cluster, allocated in the old structure (so it counts itself there), and the new table grows
 *   as needed. A walk that allocated anything is followed by the allocation of the new table (the previous one
 *   freed) and another walk, until a walk allocates nothing.</li>
 *   <li>A last walk writes the new blocks, with every refcount of the old structure; then the new table.</li>
 *   <li>The header switches to the new width and table; then the old blocks and the old table are freed, in
 *   the new structure.</li>
 * </ol>
 *
 * A refcount that does not fit the new width is refused before anything is written.
 */
final class RefcountRewriter {
    private final FileChannel ch;
    private final Path file;
    private final int clusterBits;
    private final int clusterSize;
    private final UpdaterRefcounts refs;
    private final int newOrder;
    private final int newBlockBits;
    private final AmendProgress progress;
    private long[] newTable = new long[0];
    private boolean allocated;

    RefcountRewriter(FileChannel ch, Path file, Qcow2Header h, int newOrder, AmendProgress progress)
            throws IOException {
        this.ch = ch;
        this.file = file;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.refs = new UpdaterRefcounts(ch, file, h);
        this.newOrder = newOrder;
        this.newBlockBits = clusterBits + 3 - newOrder;
        this.progress = progress;
    }

    /** Rewrites the structure; {@code fields} receives the new width and table for the header. */
    void rewrite(HeaderRewriter.Fields fields) throws IOException {
        precheck();
        long tableOffset = 0;
        long tableClusters = 0;
        int walk = 0;
        do {
            allocated = false;
            int totalWalks = Math.max(walk + 2, 3);
            walk(false, walk++, totalWalks);
            if (allocated) {
                if (tableOffset != 0) {
                    refs.free(tableOffset, tableClusters);
                }
                tableClusters = ((long) newTable.length * 8) >>> clusterBits;
                tableOffset = refs.allocateRun(tableClusters);
            }
        } while (allocated);
        walk(true, walk, walk + 1);
        ByteBuffer t = ByteBuffer.allocate(newTable.length * 8);
        for (long e : newTable) {
            t.putLong(e);
        }
        t.flip();
        ch.force(false);
        Positional.writeFully(ch, t, tableOffset);
        ch.force(false);
        long oldTableOffset = refs.tableOffset();
        long[] oldBlocks = new long[refs.tableEntries()];
        for (int i = 0; i < oldBlocks.length; i++) {
            oldBlocks[i] = refs.blockOffset(i);
        }
        fields.refcountOrder = newOrder;
        fields.refcountTableOffset = tableOffset;
        fields.refcountTableClusters = tableClusters;
        HeaderRewriter.write(ch, file, fields);
        UpdaterRefcounts fresh = new UpdaterRefcounts(ch, file, Qcow2Header.read(ch, file));
        for (long b : oldBlocks) {
            if (b != 0) {
                fresh.free(b, 1);
            }
        }
        fresh.free(oldTableOffset, ((long) oldBlocks.length * 8) >>> clusterBits);
        ch.force(false);
    }

    /** Refuses, before anything is allocated, a refcount the new width cannot hold (QEMU's first walk does). */
    private void precheck() throws IOException {
        if (newOrder == 6) {
            return;
        }
        int oldBits = refs.blockBits();
        for (int i = 0; i < refs.tableEntries(); i++) {
            if (refs.blockOffset(i) == 0) {
                continue;
            }
            for (long k = (long) i << oldBits; k < (long) (i + 1) << oldBits; k++) {
                long rc = refs.get(k);
                if ((rc >>> (1 << newOrder)) != 0) {
                    throw new ImageException("Cannot decrease refcount entry width to " + (1 << newOrder)
                            + " bits: Cluster at offset 0x" + Long.toHexString(k << clusterBits)
                            + " has a refcount of " + Long.toUnsignedString(rc));
                }
            }
        }
    }

    /**
     * One walk over the old table's reach (it may grow during the walk), in steps of the smaller block: the
     * first pass of each new block reads its refcounts, then the block is allocated ({@code !write}) or
     * written ({@code write}).
     */
    private void walk(boolean write, int index, int total) throws IOException {
        int oldBits = refs.blockBits();
        long oldBlock = 1L << oldBits;
        long newBlock = 1L << newBlockBits;
        long step = Math.min(oldBlock, newBlock);
        byte[] block = write ? new byte[clusterSize] : null;
        boolean empty = true;
        long c = 0;
        while (c < (long) refs.tableEntries() << oldBits) {
            long size = refs.tableEntries();
            if ((c & (oldBlock - 1)) == 0) {
                progress.status(index * size + (c >>> oldBits), total * size);
            }
            boolean present = refs.blockOffset((int) (c >>> oldBits)) != 0;
            for (long k = c; present && k < c + step; k++) {
                long rc = refs.get(k);
                if (rc == 0) {
                    continue;
                }
                empty = false;
                if (write) {
                    RefcountCodec.set(block, (int) (k & (newBlock - 1)), newOrder, rc);
                }
            }
            c += step;
            if ((c & (newBlock - 1)) == 0) {
                finish((c - 1) >>> newBlockBits, block, empty, write);
                empty = true;
            }
        }
        if ((c & (newBlock - 1)) != 0) {
            finish(c >>> newBlockBits, block, empty, write);
        }
        long size = refs.tableEntries();
        progress.status((index + 1) * size, total * size);
    }

    private void finish(long index, byte[] block, boolean empty, boolean write) throws IOException {
        if (write) {
            if (index < newTable.length && newTable[(int) index] != 0) {
                Positional.writeFully(ch, ByteBuffer.wrap(block), newTable[(int) index]);
            }
            if (!empty) {
                // an empty block is still all zeros: the table's reach is mostly empty blocks (a one-cluster
                // table reaches 2^28 clusters with 16-bit entries), and clearing each cost 2 GiB of memset
                Arrays.fill(block, (byte) 0);
            }
            return;
        }
        if (empty) {
            return;
        }
        if (index >= newTable.length) {
            int perCluster = clusterSize / 8;
            long size = (index + 1 + perCluster - 1) / perCluster * perCluster;
            if (size > HeaderLayout.MAX_REFCOUNT_TABLE_BYTES / 8) {
                throw new ImageLimitException("This operation would make the refcount table grow beyond the maximum"
                        + " size supported by QEMU, aborting");
            }
            newTable = Arrays.copyOf(newTable, (int) size);
        }
        if (newTable[(int) index] == 0) {
            newTable[(int) index] = refs.allocateRun(1);
            allocated = true;
        }
    }
}
