package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;

/**
 * QEMU's {@code qcow2_expand_zero_clusters}, the part of a downgrade to v2 that removes the v3 zero flag from
 * every L2 entry, the active L1's tables first, then each snapshot's:
 *
 * <ul>
 *   <li>a zero cluster without host cluster ("zero plain") becomes unallocated when the image has no backing
 *   file; with one, it gets a new host cluster filled with zeros, counted once for every L1 table that shares
 *   its L2 table;</li>
 *   <li>a zero cluster with a host cluster ("zero alloc") has that cluster filled with zeros and becomes a
 *   normal cluster. When another L2 table also points at that host cluster (its refcount is larger than the
 *   L2 table's), the zeros go to a new cluster instead, so that the other reference keeps its data; QEMU
 *   would overwrite the shared cluster.</li>
 * </ul>
 *
 * An L2 table shared by several L1 tables is expanded once: the later walks find no zero entries in it.
 */
final class ZeroExpander {
    private final FileChannel ch;
    private final Path file;
    private final int clusterSize;
    private final int clusterBits;
    private final boolean backing;
    private final UpdaterRefcounts refs;
    private final ByteBuffer zeros;
    private final AmendProgress progress;
    private final long totalEntries;
    private long visited;

    /** A corruption QEMU reports by marking the image corrupt; the message is QEMU's. */
    static final class Corruption extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        Corruption(String message) {
            super(message);
        }
    }

    /** @param totalEntries the L1 entries of all the tables to expand (the progress counts them) */
    ZeroExpander(FileChannel ch, Path file, int clusterBits, boolean backing, UpdaterRefcounts refs,
            AmendProgress progress, long totalEntries) {
        this.ch = ch;
        this.file = file;
        this.clusterBits = clusterBits;
        this.clusterSize = 1 << clusterBits;
        this.backing = backing;
        this.refs = refs;
        this.zeros = ByteBuffer.allocate(clusterSize);
        this.progress = progress;
        this.totalEntries = totalEntries;
    }

    /** Expands the tables the L1 table {@code l1} points to (the active one first, then each snapshot's). */
    void expand(long[] l1) throws IOException {
        for (int i = 0; i < l1.length; i++) {
            long l2 = l1[i] & OFFSET_MASK;
            if (l2 != 0) {
                if ((l2 & (clusterSize - 1)) != 0) {
                    throw new Corruption("L2 table offset " + hex(l2) + " unaligned (L1 index: " + hex(i) + ")");
                }
                expandTable(l2);
            }
            progress.status(++visited, totalEntries);
        }
        ch.force(false);
    }

    /** C's {@code %#x}: 0 stays "0". */
    private static String hex(long v) {
        return v == 0 ? "0" : "0x" + Long.toHexString(v);
    }

    private void expandTable(long l2) throws IOException {
        long l2Refcount = refs.get(l2 >>> clusterBits);
        ByteBuffer t = ByteBuffer.allocate(clusterSize);
        Positional.readFully(ch, t, l2, file);
        boolean dirty = false;
        for (int j = 0; j < clusterSize / Entries.ENTRY_BYTES; j++) {
            long e = t.getLong(j * Entries.ENTRY_BYTES);
            Entries.Type type = Entries.type(e, false, false);
            long offset = e & OFFSET_MASK;
            if (type == Entries.Type.ZERO_PLAIN) {
                if (!backing) {
                    t.putLong(j * Entries.ENTRY_BYTES, 0);
                    dirty = true;
                    continue;
                }
                offset = allocate(l2Refcount);
            } else if (type == Entries.Type.ZERO_ALLOC) {
                if ((offset & (clusterSize - 1)) != 0) {
                    throw new Corruption("Cluster allocation offset " + hex(offset) + " unaligned (L2 offset: "
                            + hex(l2) + ", L2 index: " + hex(j) + ")");
                }
                if (offset > ch.size() - clusterSize) {
                    // QEMU would write zeros there, growing the file to that offset; qimg refuses
                    throw new CorruptImageException(file.toString(), l2 + (long) j * Entries.ENTRY_BYTES,
                            "zero cluster with host offset 0x" + Long.toHexString(offset) + " past the end of the"
                                    + " file (" + ch.size() + " bytes)");
                }
                long rc = refs.get(offset >>> clusterBits);
                if (rc > l2Refcount) {
                    // the host cluster is also another table's data: zeros go to a cluster of their own
                    long fresh = allocate(l2Refcount);
                    for (long k = 0; k < l2Refcount; k++) {
                        refs.add(offset >>> clusterBits, -1);
                    }
                    offset = fresh;
                }
            } else {
                continue;
            }
            Positional.writeFully(ch, zeros.clear(), offset);
            boolean copied = l2Refcount == 1 && refs.get(offset >>> clusterBits) == 1;
            t.putLong(j * Entries.ENTRY_BYTES, offset | (copied ? COPIED : 0));
            dirty = true;
        }
        if (dirty) {
            ch.force(false); // the zeros and refcounts before the table that points at them
            Positional.writeFully(ch, t.clear(), l2);
        }
    }

    /** A new host cluster whose refcount is {@code refcount} (one per L1 table sharing the L2 table). */
    private long allocate(long refcount) throws IOException {
        long off = refs.allocateRun(1);
        for (long k = 1; k < refcount; k++) {
            refs.add(off >>> clusterBits, 1);
        }
        return off;
    }
}
