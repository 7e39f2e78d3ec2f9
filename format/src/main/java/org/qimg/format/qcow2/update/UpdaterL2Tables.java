package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;
import static org.qimg.format.qcow2.layout.Entries.ZERO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * The L1 table and the L2 tables of an image {@link Qcow2Updater} writes into: the guest-to-host mapping
 * (QEMU's qcow2-cluster.c side). L2 tables are read and validated on first use and changed in memory; a
 * missing one is allocated when a cluster under it is first written. {@link #writeTables()} writes the changed
 * L2 tables, then (after a flush) the changed L1 entries, and forgets the cached tables; the updater decides
 * when, around its data and refcount writes.
 */
final class UpdaterL2Tables {
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final int clusterSize;
    private final int l2Bits;
    private final boolean v3;
    /** True with an external data file: data clusters are not in the image file, so not checked against it. */
    private final boolean dataFile;
    private final UpdaterRefcounts refs;
    private final ByteBuffer zeros;
    private final long[] l1;
    private final Map<Integer, long[]> l2 = new HashMap<>();
    private final TreeMap<Integer, Boolean> dirtyL2 = new TreeMap<>();
    private final List<Integer> dirtyL1 = new ArrayList<>();

    /** Reads the L1 table; {@code zeros} is a cluster of zeros the caller shares. */
    UpdaterL2Tables(FileChannel ch, Path file, Qcow2Header h, boolean dataFile, UpdaterRefcounts refs,
            ByteBuffer zeros) throws IOException {
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.clusterSize = h.clusterSize();
        this.l2Bits = h.clusterBits() - 3;
        this.v3 = h.version() >= 3;
        this.dataFile = dataFile;
        this.refs = refs;
        this.zeros = zeros;
        int n = h.l1Size();
        ByteBuffer buf = ByteBuffer.allocate(n * 8);
        Positional.readFully(ch, buf, h.l1TableOffset(), file);
        buf.flip();
        l1 = new long[n];
        for (int i = 0; i < n; i++) {
            l1[i] = buf.getLong();
        }
    }

    /** L1 entry {@code i} as it is now. */
    long l1Entry(int i) {
        return l1[i];
    }

    /** Drops L2 table {@code l1Index} from memory (it must be unchanged). */
    void forget(int l1Index) {
        l2.remove(l1Index);
    }

    /**
     * The L2 table under L1 entry {@code l1Index}, read and validated on first use; with {@code create}, a missing
     * one is allocated (zeroed on disk, its L1 entry written with the next metadata flush), else null.
     */
    long[] table(int l1Index, boolean create) throws IOException {
        long[] t = l2.get(l1Index);
        if (t != null) {
            return t;
        }
        long e = l1[l1Index];
        long off = e & OFFSET_MASK;
        String f = file.toString();
        if (off == 0) {
            if (!create) {
                return null;
            }
            off = refs.allocate();
            Positional.writeFully(ch, zeros.clear(), off);
            l1[l1Index] = off | COPIED;
            dirtyL1.add(l1Index);
            t = new long[1 << l2Bits];
            l2.put(l1Index, t);
            return t;
        }
        if ((off & (clusterSize - 1)) != 0 || off > ch.size() - clusterSize) {
            throw new CorruptImageException(f, h.l1TableOffset() + 8L * l1Index, "L1 entry " + l1Index
                    + " must point to a cluster-aligned L2 table inside the file, found 0x" + Long.toHexString(e));
        }
        ByteBuffer buf = ByteBuffer.allocate(clusterSize);
        Positional.readFully(ch, buf, off, file);
        buf.flip();
        t = new long[1 << l2Bits];
        long fileLength = ch.size();
        for (int j = 0; j < t.length; j++) {
            long v = buf.getLong();
            if ((v & COMPRESSED) == 0) {
                long host = v & OFFSET_MASK;
                boolean reserved = (v & ~(OFFSET_MASK | COPIED | ZERO)) != 0;
                boolean outside = !dataFile && host != 0 && host > fileLength - clusterSize;
                if (reserved || (host & (clusterSize - 1)) != 0 || outside
                        || (!v3 && (v & ZERO) != 0)) {
                    throw new CorruptImageException(f, off + 8L * j, "L2 entry must be a cluster-aligned offset "
                            + "inside the file with valid flags, found 0x" + Long.toHexString(v));
                }
            } else if ((v & COPIED) != 0) {
                throw new CorruptImageException(f, off + 8L * j, "compressed L2 entry has the COPIED flag set: 0x"
                        + Long.toHexString(v));
            }
            t[j] = v;
        }
        l2.put(l1Index, t);
        return t;
    }

    /** The L2 entry of guest cluster {@code index} (0 when it has no table). */
    long entry(long index) throws IOException {
        long[] t = table((int) (index >>> l2Bits), false);
        return t == null ? 0 : t[(int) (index & ((1L << l2Bits) - 1))];
    }

    /** Allocates the L2 table of guest cluster {@code index} if it has none, before its data, as QEMU does. */
    void ownTable(long index) throws IOException {
        table((int) (index >>> l2Bits), true);
    }

    /** Sets the L2 entry of guest cluster {@code index}; the table is written with the next metadata flush. */
    void setEntry(long index, long value) throws IOException {
        int l1Index = (int) (index >>> l2Bits);
        table(l1Index, true)[(int) (index & ((1L << l2Bits) - 1))] = value;
        dirtyL2.put(l1Index, Boolean.TRUE);
    }

    /** True when no L2 table or L1 entry waits to be written. */
    boolean clean() {
        return dirtyL2.isEmpty() && dirtyL1.isEmpty();
    }

    /** Writes the changed L2 tables, then, after a flush, the changed L1 entries; the cache is emptied. */
    void writeTables() throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(clusterSize);
        for (int i : dirtyL2.keySet()) {
            buf.clear();
            for (long v : l2.get(i)) {
                buf.putLong(v);
            }
            buf.flip();
            Positional.writeFully(ch, buf, l1[i] & OFFSET_MASK);
        }
        dirtyL2.clear();
        l2.clear();
        if (!dirtyL1.isEmpty()) {
            ch.force(false);
            for (int i : dirtyL1) {
                Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, l1[i]), h.l1TableOffset() + 8L * i);
            }
            dirtyL1.clear();
        }
    }
}
