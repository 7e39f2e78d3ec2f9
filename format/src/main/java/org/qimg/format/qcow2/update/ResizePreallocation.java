package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ImageException;
import org.qimg.format.ResizeRequest.Preallocation;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostTruncate;

/**
 * The preallocation of the area a qcow2 image grows by ({@code qcow2_co_truncate} after the L1 table grew):
 *
 * <ul>
 *   <li>{@code metadata} ({@code preallocate_co}): guest clusters from the old size to the new one are mapped
 *   as QEMU's {@code qcow2_alloc_host_offset} maps them for a write: clusters this image owns (COPIED) are
 *   kept, the others get an L2 table where none is and a run of new clusters (first free run; with an external
 *   data file each cluster maps to its own guest offset there). The L2 bitmaps are left alone (the clusters are
 *   allocated, the subclusters not). The partial (sub)clusters at both ends are copied-on-write as a write
 *   would: the old guest content before the old end, whatever lies past the old end (backing file or zeros)
 *   after the new end. The file is then extended (sparse) to the host end of the new size.</li>
 *   <li>{@code falloc} and {@code full} without a data file: after the last used cluster, the refcount
 *   structures for all new data and L2 clusters ({@code qcow2_refcount_area}), then one contiguous run of
 *   data clusters from the cluster holding the old end to the new end, the file grown over it with that
 *   preallocation, and every cluster of the range linked to the run (the first one's head copied from the old
 *   content; replaced clusters freed). With extended L2 the subclusters are marked allocated only when the
 *   grown area must hide a longer backing file (QEMU's truncate with {@code BDRV_REQ_ZERO_WRITE}).</li>
 * </ul>
 *
 * Refused before anything is written: clusters in the range that QEMU would handle in ways qimg does not
 * (compressed, shared with a snapshot, preallocated zero clusters of a v3 image without extended L2).
 */
final class ResizePreallocation {
    /** Reads old guest content: below the old size from the image, past it from the backing file or zeros. */
    interface GuestBytes {
        void read(long offset, byte[] dst) throws IOException;
    }

    /** preallocate_co's largest request: INT_MAX aligned down to a cluster (applied per run). */
    private final long maxRequest;
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final UpdaterRefcounts refs;
    private final GuestBytes guest;
    /** The external data file, or null when the data is in the image file. */
    private final FileChannel data;
    private final Path dataPath;
    private final long cs;
    private final int bits;
    private final boolean ext;
    private final boolean external;
    private final int entryBytes;
    private final long perTable;
    private final long sc;

    ResizePreallocation(FileChannel ch, Path file, Qcow2Header h, UpdaterRefcounts refs, GuestBytes guest,
                        FileChannel data, Path dataPath) {
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.refs = refs;
        this.guest = guest;
        this.data = data;
        this.dataPath = dataPath;
        this.cs = h.clusterSize();
        this.bits = h.clusterBits();
        this.ext = h.hasExtendedL2();
        this.external = h.hasExternalDataFile();
        this.entryBytes = Entries.l2EntryBytes(ext);
        this.perTable = cs / entryBytes;
        this.sc = ext ? cs / Entries.SUBCLUSTERS : cs;
        this.maxRequest = Integer.MAX_VALUE / cs * cs;
    }

    /** Refuses what qimg does not preallocate, before anything is written. */
    void requireSupported(long oldSize, long newSize) throws IOException {
        long first = oldSize >>> bits;
        long last = (newSize - 1) >>> bits;
        for (long c = first; c <= last; c++) {
            int i = (int) (c / perTable);
            if (i >= h.l1Size()) {
                break;
            }
            long l1 = l1Entry(i);
            if ((l1 & OFFSET_MASK) == 0) {
                c = (i + 1) * perTable - 1;
                continue;
            }
            if ((l1 & COPIED) == 0) {
                throw new UnsupportedFeatureException(file + ": qimg does not preallocate over L2 tables shared "
                        + "with a snapshot");
            }
            long[] e = entry(c);
            Entries.Type t = Entries.type(e[0], ext, external);
            boolean owned = t == Entries.Type.NORMAL && (e[0] & COPIED) != 0;
            if (t == Entries.Type.COMPRESSED || t == Entries.Type.ZERO_ALLOC || t == Entries.Type.NORMAL && !owned) {
                throw new UnsupportedFeatureException(file + ": qimg does not preallocate over guest cluster " + c
                        + " (compressed, preallocated zero or shared with a snapshot)");
            }
        }
    }

    /** {@code preallocate_co} over guest bytes [oldSize, newSize); returns the host end of the new size. */
    long metadata(long oldSize, long newSize, Preallocation mode) throws IOException {
        long offset = oldSize;
        long hostEnd = 0;
        while (offset < newSize) {
            long c = offset >>> bits;
            int table = (int) (c / perTable);
            long tableEnd = Math.min(newSize, (table + 1) * perTable * cs);
            long[] e = entryOrZero(c);
            boolean owned = Entries.type(e[0], ext, external) == Entries.Type.NORMAL && (e[0] & COPIED) != 0;
            long lastCluster = (Math.min(tableEnd, offset + maxRequest) - 1) >>> bits;
            long n = 1;
            while (c + n <= lastCluster) {
                long[] x = entryOrZero(c + n);
                boolean o = Entries.type(x[0], ext, external) == Entries.Type.NORMAL && (x[0] & COPIED) != 0;
                if (o != owned || owned && (x[0] & OFFSET_MASK) != (e[0] & OFFSET_MASK) + (n << bits)) {
                    break;
                }
                n++;
            }
            long bytes = Math.min(Math.min(newSize - offset, maxRequest), (n << bits) - (offset & (cs - 1)));
            long host;
            if (owned) {
                host = e[0] & OFFSET_MASK;
                if (ext) {
                    cow(offset, bytes, host, true);
                }
            } else {
                long l2 = ownedTable(table);
                host = data != null ? c << bits : refs.allocateRun(n);
                cow(offset, bytes, host, false);
                link(l2, c, n, host, false);
            }
            hostEnd = host + (offset & (cs - 1)) + bytes;
            offset += bytes;
        }
        FileChannel target = data != null ? data : ch;
        if (hostEnd > target.size()) {
            Preallocation m = mode == Preallocation.METADATA ? Preallocation.OFF : mode;
            HostTruncate.truncate(target, data != null ? dataPath : file, hostEnd, m);
        }
        return hostEnd;
    }

    /** The falloc/full branch of {@code qcow2_co_truncate} without a data file. */
    void allocateData(long oldSize, long newSize, Preallocation mode, boolean zeroWrite) throws IOException {
        long fileSize = ch.size();
        long last = refs.lastUsedCluster((fileSize + cs - 1) >>> bits);
        long oldFileSize = last >= 0 ? (last + 1) << bits : (fileSize + cs - 1) >>> bits << bits;
        long firstCluster = oldSize >>> bits;
        long count = ((newSize + cs - 1) >>> bits) - firstCluster;
        long tables = (count + perTable - 1) / perTable + 1;
        long start = refs.refcountArea(oldFileSize, count + tables);
        for (long k = 0; k < count; k++) {
            refs.add((start >>> bits) + k, 1);
        }
        HostTruncate.truncate(ch, file, start + (count << bits), mode);
        long c = firstCluster;
        long host = start;
        long head = oldSize & (cs - 1);
        while (count > 0) {
            long n = Math.min(count, perTable - c % perTable);
            if (head > 0) {
                byte[] b = new byte[(int) head];
                guest.read(c << bits, b);
                Positional.writeFully(ch, ByteBuffer.wrap(b), host);
                head = 0;
            }
            long l2 = ownedTable((int) (c / perTable));
            link(l2, c, n, host, zeroWrite);
            c += n;
            host += n << bits;
            count -= n;
        }
    }

    /**
     * calculate_l2_meta and perform_cow for a write of [offset, offset + bytes) to host {@code host} (the host
     * offset of the first cluster), {@code keepOld} when the clusters stay where they are.
     */
    private void cow(long offset, long bytes, long host, boolean keepOld) throws IOException {
        long c = offset >>> bits;
        long startTo = offset & (cs - 1);
        long endFrom = startTo + bytes;
        long clusters = (endFrom + cs - 1) >>> bits;
        if (keepOld) {
            boolean skip = true;
            for (long i = 0; i < clusters && skip; i++) {
                long[] e = entryOrZero(c + i);
                long from = Math.max(startTo, i << bits) - (i << bits);
                long to = Math.min(endFrom, (i + 1) << bits) - (i << bits);
                for (long s = from / sc; s <= (to - 1) / sc; s++) {
                    if (subType(e, (int) s) != Sub.NORMAL) {
                        skip = false;
                        break;
                    }
                }
            }
            if (skip) {
                return;
            }
        }
        long[] first = entryOrZero(c);
        int si = (int) (startTo / sc);
        Sub t = subType(first, si);
        long startFrom;
        if (!keepOld) {
            startFrom = switch (t) {
                case NORMAL, ZERO_ALLOC, UNALLOCATED_ALLOC -> ext
                        ? Math.min(si, Long.numberOfTrailingZeros(first[1] & Entries.SUBCLUSTERS_ALLOCATED | 1L << 32))
                          * sc : 0;
                default -> si * sc;
            };
        } else {
            startFrom = t == Sub.NORMAL ? startTo : si * sc;
        }
        long[] lastE = entryOrZero(c + clusters - 1);
        long endSc = ((offset + bytes - 1) & (cs - 1)) / sc;
        Sub te = subType(lastE, (int) endSc);
        long endTo;
        if (!keepOld) {
            if (te == Sub.UNALLOCATED_PLAIN || te == Sub.ZERO_PLAIN) {
                endTo = (endFrom + sc - 1) / sc * sc;
            } else {
                endTo = (endFrom + cs - 1) >>> bits << bits;
                if (ext) {
                    long alloc = lastE[1] & Entries.SUBCLUSTERS_ALLOCATED;
                    int clz = Integer.numberOfLeadingZeros((int) alloc);
                    endTo -= Math.min(Entries.SUBCLUSTERS - endSc - 1, clz) * sc;
                }
            }
        } else {
            endTo = te == Sub.NORMAL ? endFrom : (endFrom + sc - 1) / sc * sc;
        }
        long base = offset - startTo;
        FileChannel target = data != null ? data : ch;
        if (startTo > startFrom) {
            byte[] b = new byte[(int) (startTo - startFrom)];
            guest.read(base + startFrom, b);
            Positional.writeFully(target, ByteBuffer.wrap(b), host + startFrom);
        }
        if (endTo > endFrom) {
            byte[] b = new byte[(int) (endTo - endFrom)];
            guest.read(base + endFrom, b);
            Positional.writeFully(target, ByteBuffer.wrap(b), host + endFrom);
        }
    }

    /** qcow2_alloc_cluster_link_l2: guest clusters [c, c + n) to host run {@code host}; replaced ones freed. */
    private void link(long l2, long c, long n, long host, boolean allocateSubclusters) throws IOException {
        ByteBuffer t = ByteBuffer.allocate((int) (n * entryBytes));
        long at = l2 + (c % perTable) * entryBytes;
        Positional.readFully(ch, t, at, file);
        long[] old = new long[(int) n];
        for (int i = 0; i < n; i++) {
            old[i] = t.getLong(i * entryBytes);
            t.putLong(i * entryBytes, (host + ((long) i << bits)) | COPIED);
            if (ext && allocateSubclusters) {
                t.putLong(i * entryBytes + 8, Entries.SUBCLUSTERS_ALLOCATED);
            }
        }
        Positional.writeFully(ch, t.clear(), at);
        if (data == null) {
            for (long e : old) {
                if ((e & OFFSET_MASK) != 0 && (e & COMPRESSED) == 0) {
                    refs.free(e & OFFSET_MASK, 1);
                }
            }
        }
    }

    /** QEMU's l2_allocate for a missing table: a new zeroed cluster, then the L1 entry. */
    private long ownedTable(int i) throws IOException {
        long l1 = l1Entry(i);
        if ((l1 & COPIED) != 0) {
            return l1 & OFFSET_MASK;
        }
        if ((l1 & OFFSET_MASK) != 0) {
            throw new ImageException(file + ": L2 table " + i + " is shared with a snapshot");
        }
        long at = refs.allocateRun(1);
        Positional.writeFully(ch, ByteBuffer.allocate((int) cs), at);
        ch.force(false);
        Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, at | COPIED), h.l1TableOffset() + 8L * i);
        return at;
    }

    private enum Sub { NORMAL, ZERO_ALLOC, UNALLOCATED_ALLOC, ZERO_PLAIN, UNALLOCATED_PLAIN, COMPRESSED }

    /** qcow2_get_subcluster_type of subcluster {@code s} of the entry pair {@code e}. */
    private Sub subType(long[] e, int s) {
        Entries.Type t = Entries.type(e[0], ext, external);
        if (t == Entries.Type.COMPRESSED) {
            return Sub.COMPRESSED;
        }
        boolean allocated = t == Entries.Type.NORMAL || t == Entries.Type.ZERO_ALLOC;
        if (!ext) {
            return switch (t) {
                case NORMAL -> Sub.NORMAL;
                case ZERO_ALLOC -> Sub.ZERO_ALLOC;
                case ZERO_PLAIN -> Sub.ZERO_PLAIN;
                default -> Sub.UNALLOCATED_PLAIN;
            };
        }
        if ((e[1] >>> s & 1) != 0) {
            return allocated ? Sub.NORMAL : Sub.UNALLOCATED_PLAIN;
        }
        if ((e[1] >>> (32 + s) & 1) != 0) {
            return allocated ? Sub.ZERO_ALLOC : Sub.ZERO_PLAIN;
        }
        return allocated ? Sub.UNALLOCATED_ALLOC : Sub.UNALLOCATED_PLAIN;
    }

    private long l1Entry(int i) throws IOException {
        if (i >= h.l1Size()) {
            throw new ImageException(file + ": guest offset beyond the L1 table while preallocating");
        }
        ByteBuffer b = ByteBuffer.allocate(8);
        Positional.readFully(ch, b, h.l1TableOffset() + 8L * i, file);
        return b.getLong(0);
    }

    /** The L2 entry (and bitmap) of guest cluster {@code c}; zeros where no L2 table is. */
    private long[] entryOrZero(long c) throws IOException {
        long l2 = l1Entry((int) (c / perTable)) & OFFSET_MASK;
        return l2 == 0 ? new long[2] : read(l2, c);
    }

    private long[] entry(long c) throws IOException {
        return read(l1Entry((int) (c / perTable)) & OFFSET_MASK, c);
    }

    private long[] read(long l2, long c) throws IOException {
        ByteBuffer e = ByteBuffer.allocate(entryBytes);
        Positional.readFully(ch, e, l2 + (c % perTable) * entryBytes, file);
        return new long[] {e.getLong(0), ext ? e.getLong(8) : 0};
    }
}
