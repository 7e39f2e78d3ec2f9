package org.qimg.format.qcow2.read;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.ZERO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.InvalidSnapshotException;
import org.qimg.format.qcow2.layout.QemuOpenRules;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * Guest-to-host mapping through one L1 table (the active one or a snapshot's) and the L2 tables it points
 * to. Classifies clusters, or subclusters with extended L2 entries, and merges neighbours with the same
 * status and contiguous host offsets into runs. Safe for concurrent use: the L1 table is never modified
 * after construction and L2 tables come from a shared {@link L2Cache}.
 */
final class ClusterMap {
    enum Kind { DATA, ZERO, UNALLOCATED, COMPRESSED }

    /**
     * One run: {@code length} guest bytes from {@code guestOffset}. For DATA, host bytes start at
     * {@code hostOffset}. ZERO and UNALLOCATED runs carry a host offset too when their cluster keeps a
     * host cluster (a zero flag on an allocated cluster, or clear subcluster bits in an allocated
     * extended-L2 cluster: QEMU's ZERO_ALLOC and UNALLOCATED_ALLOC), else -1. For COMPRESSED (always
     * exactly one cluster or less), {@code l2Entry} is the descriptor and {@code entryOffset} its position
     * in the file (for error messages).
     */
    record Run(Kind kind, long guestOffset, long length, long hostOffset, long l2Entry, long entryOffset) {
    }

    private final Qcow2Header header;
    private final FileChannel channel;
    private final Path file;
    private final long[] l1;
    private final long l1Offset;
    private final L2Cache cache;
    private final int clusterBits;
    private final int l2Bits;
    private final boolean extended;
    private final boolean externalData;
    private final long virtualSize;

    ClusterMap(Qcow2Header header, FileChannel channel, long[] l1, long l1Offset, L2Cache cache, long virtualSize) {
        this.header = header;
        this.channel = channel;
        this.file = header.file();
        this.l1 = l1;
        this.l1Offset = l1Offset;
        this.cache = cache;
        this.clusterBits = header.clusterBits();
        this.l2Bits = header.l2Bits();
        this.extended = header.hasExtendedL2();
        this.externalData = header.hasExternalDataFile();
        this.virtualSize = virtualSize;
    }

    /** Reads and validates an L1 table of {@code entries} entries at {@code offset}. */
    static long[] readL1(FileChannel ch, Qcow2Header h, long offset, long entries, String what) throws IOException {
        String f = h.file().toString();
        if (entries > HeaderLayout.MAX_L1_BYTES / 8) {
            throw new ImageLimitException(f + ": " + what + " of " + entries + " entries exceeds the limit of "
                    + HeaderLayout.MAX_L1_BYTES / 8 + " entries (32 MiB)");
        }
        if (entries == 0) {
            return new long[0];
        }
        if (offset <= 0 || (offset & (h.clusterSize() - 1)) != 0) {
            throw new CorruptImageException(f, offset, what + " of " + entries + " entries must start at a "
                    + "positive cluster-aligned offset");
        }
        // as QEMU reads it: entries past the end of the file are zeros
        long[] t = new long[(int) entries];
        QemuOpenRules.readZeroPadded(ch, h.file(), offset, (int) entries * 8).asLongBuffer().get(t);
        return t;
    }

    /**
     * A snapshot's L1 table as {@code qcow2_snapshot_load_tmp} takes it: QEMU's table rules (at most 32 MiB,
     * cluster aligned, ending below 2^63) with its words, "Failed to load snapshot: Snapshot L1 table ..."
     * (qimg's detail is the cause); entries past the end of the file read as zeros, as QEMU reads them.
     */
    static long[] readSnapshotL1(FileChannel ch, Qcow2Header h, long offset, long entries, String what)
            throws IOException {
        String f = h.file().toString();
        if (entries > HeaderLayout.MAX_L1_BYTES / 8) {
            throw new InvalidSnapshotException("Failed to load snapshot: Snapshot L1 table too large",
                    new ImageLimitException(f + ": " + what + " of " + entries + " entries exceeds the limit of "
                    + HeaderLayout.MAX_L1_BYTES / 8 + " entries (32 MiB)"));
        }
        if (Long.compareUnsigned(Long.MAX_VALUE - entries * 8, offset) < 0 || (offset & (h.clusterSize() - 1)) != 0) {
            throw new InvalidSnapshotException("Failed to load snapshot: Snapshot L1 table offset invalid",
                    new CorruptImageException(f, offset, what + " of " + entries + " entries must start at a "
                    + "cluster-aligned offset and end below 2^63"));
        }
        long[] t = new long[(int) entries];
        QemuOpenRules.readZeroPadded(ch, h.file(), offset, (int) entries * 8).asLongBuffer().get(t);
        return t;
    }

    /** Reusable classification result, one per {@link #map} call. */
    private static final class Unit {
        Kind kind;
        long host;      // host offset of the unit's first byte (when the cluster keeps one), else -1
        long end;       // guest offset just past the unit
        long entry;
        long entryOffset;
        long tableOffset = -1;  // last L2 table looked at, kept to avoid cache round trips
        long[] table;
    }

    /**
     * The run starting at {@code offset} (inside the image), at most {@code maxLength} bytes. With
     * {@code mergeCompressed} false a compressed run stops at its cluster's end so a reader can expand it.
     */
    Run map(long offset, long maxLength, boolean mergeCompressed) throws IOException {
        long end = offset + Math.min(maxLength, virtualSize - offset);
        Unit u = new Unit();
        classify(offset, u);
        Kind kind = u.kind;
        long host = u.host < 0 ? -1 : u.host + (offset - unitStart(offset, u));
        long entry = u.entry;
        long entryOffset = u.entryOffset;
        long pos = Math.min(u.end, end);
        if (kind != Kind.COMPRESSED || mergeCompressed) {
            while (pos < end) {
                try {
                    classify(pos, u);
                } catch (CorruptImageException e) {
                    // as QEMU, which validates only the first entry of a run: a bad entry further on ends
                    // the run here, and fails the query (or read) that starts at it
                    break;
                }
                // as QEMU's count_contiguous_subclusters: same type, and contiguous host offsets where
                // there are any (a zero cluster with a host cluster never merges with one without)
                boolean sameHost = host < 0 ? u.host < 0 : u.host == host + (pos - offset);
                if (u.kind != kind || !sameHost) {
                    break;
                }
                pos = Math.min(u.end, end);
            }
        }
        return new Run(kind, offset, pos - offset, host, entry, entryOffset);
    }

    private long unitStart(long offset, Unit u) {
        int unitBits = extended ? clusterBits - 5 : clusterBits;
        return offset & ~((1L << unitBits) - 1);
    }

    private void classify(long pos, Unit u) throws IOException {
        long l1Index = pos >>> (clusterBits + l2Bits);
        long l1RangeEnd = (l1Index + 1) << (clusterBits + l2Bits);
        u.host = -1;
        u.entry = 0;
        u.entryOffset = -1;
        if (l1Index >= l1.length) {
            u.kind = Kind.UNALLOCATED;
            u.end = virtualSize;
            return;
        }
        long l2Offset = l1[(int) l1Index] & Entries.OFFSET_MASK;
        if (l2Offset == 0) {
            u.kind = Kind.UNALLOCATED;
            u.end = l1RangeEnd;
            return;
        }
        long[] table = table(l2Offset, l1Offset + 8 * l1Index, u);
        int l2Index = (int) ((pos >>> clusterBits) & ((1L << l2Bits) - 1));
        long clusterStart = pos & ~((1L << clusterBits) - 1);
        long entry = table[extended ? 2 * l2Index : l2Index];
        u.entry = entry;
        u.entryOffset = l2Offset + (long) l2Index * (extended ? 16 : 8);
        u.end = clusterStart + (1L << clusterBits);
        if ((entry & COMPRESSED) != 0) {
            if (externalData) {
                throw corrupt(u.entryOffset, "compressed cluster in an image with an external data file");
            }
            u.kind = Kind.COMPRESSED;
            return;
        }
        long host = entry & Entries.OFFSET_MASK;
        boolean allocated = host != 0 || (externalData && (entry & COPIED) != 0);
        if (allocated && (host & ((1L << clusterBits) - 1)) != 0) {
            throw corrupt(u.entryOffset, "data cluster offset " + host + " is not aligned to the cluster size "
                    + (1L << clusterBits));
        }
        if (!extended) {
            if ((entry & ZERO) != 0) {
                if (header.version() < 3) {
                    throw corrupt(u.entryOffset, "zero cluster flag in a version 2 image");
                }
                u.kind = Kind.ZERO;
                u.host = host != 0 ? host : -1; // offset 0 is ZERO_PLAIN even with an external data file
            } else {
                u.kind = allocated ? Kind.DATA : Kind.UNALLOCATED;
                u.host = allocated ? host : -1;
            }
            return;
        }
        long bitmap = table[2 * l2Index + 1];
        int scBits = clusterBits - 5;
        int sc = (int) ((pos - clusterStart) >>> scBits);
        int alloc = (int) bitmap;
        int zero = (int) (bitmap >>> 32);
        if ((alloc & zero) != 0 || (!allocated && alloc != 0)) {
            throw corrupt(u.entryOffset + 8, String.format("invalid subcluster bitmap 0x%016x (allocation bits "
                    + "overlap zero bits, or set without a host offset %d)", bitmap, host));
        }
        int bit = 1 << sc;
        Kind kind = (alloc & bit) != 0 ? Kind.DATA : (zero & bit) != 0 ? Kind.ZERO : Kind.UNALLOCATED;
        // extend over the following subclusters of this cluster with the same status
        int last = sc;
        while (last < 31 && kindOf(alloc, zero, last + 1) == kind) {
            last++;
        }
        u.kind = kind;
        u.host = allocated ? host + ((long) sc << scBits) : -1;
        u.end = clusterStart + ((long) (last + 1) << scBits);
    }

    private static Kind kindOf(int alloc, int zero, int sc) {
        int bit = 1 << sc;
        return (alloc & bit) != 0 ? Kind.DATA : (zero & bit) != 0 ? Kind.ZERO : Kind.UNALLOCATED;
    }

    private long[] table(long l2Offset, long l1EntryOffset, Unit u) throws IOException {
        if (u.tableOffset == l2Offset) {
            return u.table;
        }
        int cs = 1 << clusterBits;
        if ((l2Offset & (cs - 1)) != 0) {
            throw corrupt(l1EntryOffset, "L2 table offset " + l2Offset + " is not aligned to the cluster size " + cs);
        }
        if (l2Offset > header.fileLength() - cs) {
            throw corrupt(l1EntryOffset, "L2 table at offset " + l2Offset + " extends past the end of the file ("
                    + header.fileLength() + " bytes)");
        }
        long[] t = cache.get(l2Offset);
        if (t == null) {
            ByteBuffer b = ByteBuffer.allocate(cs);
            Positional.readFully(channel, b, l2Offset, file);
            b.flip();
            t = new long[cs / 8];
            b.asLongBuffer().get(t);
            cache.put(l2Offset, t);
        }
        u.tableOffset = l2Offset;
        u.table = t;
        return t;
    }

    private CorruptImageException corrupt(long offset, String detail) {
        return new CorruptImageException(file.toString(), offset, detail);
    }
}
