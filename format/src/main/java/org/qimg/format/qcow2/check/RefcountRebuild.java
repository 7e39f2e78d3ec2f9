package org.qimg.format.qcow2.check;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * Writes a new refcount structure from the computed references alone (QEMU's
 * {@code rebuild_refcount_structure}): refcount blocks go into clusters nothing references (or past the
 * end of the file), then a new refcount table, then the header is pointed at it. The old structure is
 * only replaced by the final header write, so an interruption leaves the old (broken) one in place; its
 * clusters become leaks that the following pass frees.
 */
final class RefcountRebuild {
    private final CheckContext c;
    private final int blockBits;
    private long[] reftable = new long[0];

    RefcountRebuild(CheckContext c) {
        this.c = c;
        this.blockBits = c.clusterBits() + 3 - c.header.refcountOrder;
    }

    void run() throws IOException {
        boolean grown = writeRefblocks(0, c.imrt.size());
        if (!grown) {
            throw new IllegalStateException("rebuild produced no refcount table");
        }
        long tableOffset;
        long tableClusters;
        do {
            long bytes = (long) reftable.length * 8;
            tableClusters = (bytes + c.clusterSize() - 1) >>> c.clusterBits();
            long[] firstFree = {0};
            tableOffset = allocate((int) tableClusters, firstFree);
            long start = tableOffset >>> c.clusterBits();
            grown = writeRefblocks(start, start + tableClusters);
        } while (grown);
        ByteBuffer t = ByteBuffer.allocate(reftable.length * 8);
        for (long e : reftable) {
            t.putLong(e);
        }
        c.file.write(tableOffset, t.array(), 0, t.capacity());
        c.file.sync();
        ByteBuffer hdr = ByteBuffer.allocate(12).putLong(tableOffset).putInt((int) tableClusters);
        c.file.write(HeaderLayout.OFF_REFTABLE_OFFSET, hdr.array(), 0, 12);
        c.file.sync();
        c.header.reftableOffset = tableOffset;
        c.header.reftableClusters = tableClusters;
        c.stored.load(tableOffset, tableClusters);
    }

    /** rebuild_refcounts_write_refblocks: returns true when the in-memory refcount table grew. */
    private boolean writeRefblocks(long first, long end) throws IOException {
        boolean grown = false;
        long[] firstFree = {0};
        long blockSize = 1L << blockBits;
        byte[] block = new byte[(int) c.clusterSize()];
        for (long cluster = first; cluster < end; cluster++) {
            if (c.imrt.get(cluster) == 0) {
                continue;
            }
            long index = cluster >>> blockBits;
            long start = index << blockBits;
            long offset;
            if (index < reftable.length && reftable[(int) index] != 0) {
                offset = reftable[(int) index];
            } else {
                firstFree[0] = Math.max(firstFree[0], start);
                offset = allocate(1, firstFree);
                long oc = offset >>> c.clusterBits();
                if (oc >= end) {
                    end = oc + 1;
                }
                if (index >= reftable.length) {
                    long entries = ((index + 1) * 8 + c.clusterSize() - 1) / c.clusterSize() * c.clusterSize() / 8;
                    reftable = Arrays.copyOf(reftable, (int) entries);
                    grown = true;
                }
                reftable[(int) index] = offset;
            }
            Arrays.fill(block, (byte) 0);
            long stop = Math.min(c.imrt.size(), start + blockSize);
            for (long k = start; k < stop; k++) {
                long v = c.imrt.get(k);
                if (v != 0) {
                    RefcountCodec.set(block, (int) (k - start), c.header.refcountOrder, v);
                }
            }
            c.file.write(offset, block, 0, block.length);
            cluster = start + blockSize - 1;
        }
        return grown;
    }

    /**
     * alloc_clusters_imrt: first run of {@code count} free clusters from {@code firstFree[0]}, marked used.
     * Unlike QEMU, clusters of a table the check could not count (see {@link CheckContext#protect}) are not
     * free: QEMU's overlap check would refuse the write and fail the repair.
     */
    private long allocate(int count, long[] firstFree) {
        long cluster = firstFree[0];
        boolean firstGap = true;
        int run = 0;
        while (run < count) {
            long skip = c.protectedUntil(cluster);
            if (skip >= 0) {
                run = 0;
                cluster = skip;
                continue;
            }
            if (cluster >= c.imrt.size() || c.imrt.get(cluster) == 0) {
                run++;
                if (firstGap) {
                    firstFree[0] = cluster;
                    firstGap = false;
                }
            } else {
                run = 0;
            }
            cluster++;
        }
        c.imrt.grow(cluster);
        cluster -= run;
        for (int i = 0; i < count; i++) {
            c.imrt.set(cluster + i, 1);
        }
        return cluster << c.clusterBits();
    }
}
