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
import java.util.List;
import org.qimg.format.ClusterSink;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * Writes guest clusters into an EXISTING qcow2 image in place (what {@code qemu-img convert -n} needs).
 *
 * <p>With an external data file (not {@code data_file_raw}) each data cluster goes to its own guest offset
 * in the data file, as QEMU maps them; only L2 tables take clusters of the image file.
 *
 * <p>Refused up front, before anything is written: internal snapshots, extended L2 entries, a raw external
 * data file, compressed output with a data file, encryption, the dirty or corrupt bit, persistent bitmaps, unknown incompatible features, a
 * target whose virtual size is smaller than the source, and any L2 table or plain data cluster in the
 * written range whose refcount is not exactly 1. Unknown autoclear bits are cleared, as the spec asks of a
 * writer that does not know them.
 *
 * <p>Per guest cluster: a plain allocated cluster (refcount 1) is overwritten in place; an unallocated, zero
 * or compressed one gets a new cluster (free clusters are reused, else the file grows); replaced compressed
 * payloads are released once the L2 entry no longer points at them. Zero writes set the zero flag on v3
 * (an allocated cluster keeps its allocation, as QEMU's write-zeroes without unmap); on v2 an allocated
 * cluster is overwritten with zeros and an unallocated one without backing file is left alone.
 *
 * <p>Ordering: data and refcount increments are written first; L2 tables are written in batches after a
 * flush, then L1 entries after another flush, then refcounts of replaced payloads are decremented. Refcounts
 * are exact at every point, so a crash leaks clusters at worst, and the dirty bit is never needed. As with
 * {@code qemu-img convert -n}, a failure midway leaves the target partly updated: its guest content is then
 * a mix of old and new data.
 *
 * <p>Not thread-safe; calls must come in increasing guest cluster order from one thread.
 *
 * <p>This class owns the refusals, the per-cluster decisions and the write ordering; the L1/L2 tables belong
 * to {@link UpdaterL2Tables}, the refcounts to {@link UpdaterRefcounts}.
 */
public final class Qcow2Updater implements ClusterSink {
    private static final int BATCH_CLUSTERS = 4096;

    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Bits;
    private final boolean v3;
    private final boolean backing;
    private final UpdaterRefcounts refs;
    private final long sourceSize;
    private final long tailIndex;
    private final int tailBytes;
    /** The L1/L2 mapping. */
    private final UpdaterL2Tables tables;
    private final List<long[]> pendingFree = new ArrayList<>();
    private int batch;
    private final CompressedSpace compressedSpace;
    private final ByteBuffer zeros;
    /** The external data file (its channel null without one). */
    private final DataFileChannel data;
    private final List<long[]> dataHoles = new ArrayList<>();

    private Qcow2Updater(FileChannel ch, Path file, Qcow2Header h, long sourceSize, DataFileChannel data)
            throws IOException {
        this.data = data;
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.l2Bits = clusterBits - 3;
        this.v3 = h.version() >= 3;
        this.backing = h.backingFile() != null;
        this.sourceSize = sourceSize;
        long partial = sourceSize & (clusterSize - 1);
        boolean tail = partial != 0 && h.virtualSize() > sourceSize;
        this.tailIndex = tail ? sourceSize >>> clusterBits : -1;
        this.tailBytes = (int) partial;
        this.zeros = ByteBuffer.allocateDirect(clusterSize);
        refs = new UpdaterRefcounts(ch, file, h);
        tables = new UpdaterL2Tables(ch, file, h, data.channel() != null, refs, zeros);
        compressedSpace = new CompressedSpace(refs, clusterBits);
    }

    /**
     * Opens the qcow2 image on {@code ch} (readable and writable) for writing the first {@code sourceSize}
     * guest bytes. Everything that would make the update unsafe is refused here, before any write.
     *
     * @param compressed clusters will be written compressed (matters for a partial last cluster)
     */
    public static Qcow2Updater open(FileChannel ch, Path file, long sourceSize, boolean compressed)
            throws IOException {
        FileChannel named = NamedChannel.wrap(ch, file); // every I/O error names the file and the offset
        Qcow2Header h = Qcow2Header.read(named, file);
        String f = file.toString();
        if (h.virtualSize() < sourceSize) {
            throw new ImageException("output file is smaller than input file");
        }
        if (h.nbSnapshots() != 0) {
            throw new UnsupportedFeatureException(f + ": image has " + h.nbSnapshots() + " internal snapshot(s);"
                    + " qimg does not write into images with snapshots");
        }
        if (h.hasExtendedL2()) {
            throw new UnsupportedFeatureException(f + ": image uses extended L2 entries (subclusters); qimg does"
                    + " not write into such images in place");
        }
        if (h.hasExternalDataFile() && (h.dataFileRaw() || compressed)) {
            throw new UnsupportedFeatureException(compressed ? "Compression is not supported with external data "
                    + "files" : f + ": image uses a raw external data file; qimg does not write into such images "
                    + "in place");
        }
        requireClean(h, f);
        if ((h.autoclearFeatures() & HeaderLayout.AUTOCLEAR_BITMAPS) != 0 || h.extensions().bitmaps() != null) {
            throw new UnsupportedFeatureException(f + ": image has persistent dirty bitmaps; qimg does not write"
                    + " into such images in place");
        }
        if (h.cryptMethod() != 0) {
            throw new UnsupportedFeatureException(f + ": image is encrypted");
        }
        Qcow2Updater u = new Qcow2Updater(named, file, h, sourceSize, DataFileChannel.open(file, h));
        u.preflight(compressed);
        if (h.autoclearFeatures() != 0) {
            Positional.writeFully(named, ByteBuffer.allocate(8), 88);
        }
        return u;
    }

    /**
     * Refuses an image that must be repaired before anyone writes into it in place (corrupt bit, dirty bit) or
     * that has incompatible features qimg does not know; {@code f} names the file. Shared with
     * {@link Qcow2Resizer}.
     */
    static void requireClean(Qcow2Header h, String f) throws UnsupportedFeatureException {
        if (h.isCorrupt()) {
            throw new UnsupportedFeatureException(f + ": image is marked corrupt; run qemu-img check -r all first");
        }
        if (h.isDirty()) {
            throw new UnsupportedFeatureException(f + ": image is marked dirty (lazy refcounts not written back);"
                    + " run qemu-img check -r all first");
        }
        if ((h.incompatibleFeatures() & ~HeaderLayout.INCOMPAT_KNOWN) != 0) {
            throw new UnsupportedFeatureException(f + ": image has unknown incompatible features");
        }
    }

    public int clusterSize() {
        return clusterSize;
    }

    public CompressionType compressionType() {
        return h.compressionType();
    }

    /** Checks every L2 table and plain cluster the update may touch has refcount 1; validates entries. */
    private void preflight(boolean compressed) throws IOException {
        long clusters = (sourceSize + clusterSize - 1) >>> clusterBits;
        long l2Entries = 1L << l2Bits;
        String f = file.toString();
        for (long i = 0; i * l2Entries < clusters; i++) {
            long e = tables.l1Entry((int) i);
            long off = e & OFFSET_MASK;
            if (off == 0) {
                continue;
            }
            long[] t = tables.table((int) i, false);
            if ((e & COPIED) == 0 || refs.get(off >>> clusterBits) != 1) {
                throw new UnsupportedFeatureException(f + ": L2 table at offset " + off + " is shared (refcount "
                        + refs.get(off >>> clusterBits) + "); qimg only writes into tables it owns alone");
            }
            long n = Math.min(l2Entries, clusters - i * l2Entries);
            for (int j = 0; j < n; j++) {
                long v = t[j];
                if ((v & COMPRESSED) != 0) {
                    checkPayload(v, i * l2Entries + j);
                    continue;
                }
                if ((v & COMPRESSED) == 0 && (v & OFFSET_MASK) != 0 && data.channel() == null
                        && refs.get((v & OFFSET_MASK) >>> clusterBits) != 1) {
                    throw new UnsupportedFeatureException(f + ": guest cluster " + (i * l2Entries + j)
                            + " is shared (refcount " + refs.get((v & OFFSET_MASK) >>> clusterBits)
                            + "); qimg does not write into shared clusters");
                }
            }
            tables.forget((int) i);
        }
        if (tailIndex >= 0) {
            long e = tables.entry(tailIndex);
            boolean readsZero = (e & COMPRESSED) == 0 && ((v3 && (e & ZERO) != 0) || (e == 0 && !backing));
            boolean plain = (e & COMPRESSED) == 0 && (e & OFFSET_MASK) != 0 && (e & ZERO) == 0;
            if (!readsZero && (compressed || !plain)) {
                throw new UnsupportedFeatureException(f + ": the source ends inside guest cluster " + tailIndex
                        + " of the larger target, whose remaining content qimg cannot keep (" + describe(e)
                        + (compressed ? ", compressed output" : "") + ")");
            }
        }
    }

    /** A compressed payload to be replaced must lie in clusters whose refcounts count it (so it can be freed). */
    private void checkPayload(long v, long guestCluster) throws IOException {
        long[] range = payloadRange(v);
        long first = range[0] >>> clusterBits;
        long last = (range[0] + range[1] - 1) >>> clusterBits;
        for (long c = first; c <= last; c++) {
            if (c == 0 || refs.get(c) == 0) {
                throw new CorruptImageException(file.toString(), range[0], "compressed guest cluster " + guestCluster
                        + " lies in host cluster " + c + " whose refcount is " + (c == 0 ? "the header's" : "0")
                        + "; run qemu-img check -r all first");
            }
        }
    }

    /** {host byte offset, byte count} of a compressed entry's payload, as QEMU frees it. */
    private long[] payloadRange(long e) {
        return new long[] {Entries.compressedOffset(e, clusterBits), Entries.compressedSpan(e, clusterBits)};
    }

    private String describe(long e) {
        if ((e & COMPRESSED) != 0) {
            return "compressed cluster";
        }
        if ((e & OFFSET_MASK) != 0) {
            return "allocated cluster";
        }
        return backing ? "cluster read from the backing file" : "unallocated cluster";
    }

    private void checkIndex(long index) {
        if (index < 0 || index >= (sourceSize + clusterSize - 1) >>> clusterBits) {
            throw new IllegalArgumentException("guest cluster " + index + " outside the source range");
        }
    }

    /** Writes one guest cluster of plain data ({@code data} holds a whole cluster, zero-padded at the end). */
    public void writePlain(long index, ByteBuffer data) throws IOException {
        checkIndex(index);
        if (data.remaining() != clusterSize) {
            throw new IllegalArgumentException("need " + clusterSize + " bytes, got " + data.remaining());
        }
        long e = tables.entry(index);
        long host = e & OFFSET_MASK;
        if (this.data.channel() != null) {
            // a data file maps every cluster to its own guest offset
            ByteBuffer d = data.duplicate();
            if (index == tailIndex && Entries.type(e, false, true) == Entries.Type.NORMAL) {
                d.limit(d.position() + tailBytes);
            }
            Positional.writeFully(this.data.channel(), d, index << clusterBits);
            if (e != ((index << clusterBits) | COPIED)) {
                tables.ownTable(index);
                tables.setEntry(index, (index << clusterBits) | COPIED);
            }
        } else if ((e & COMPRESSED) == 0 && host != 0) {
            ByteBuffer d = data.duplicate();
            if (index == tailIndex && (e & ZERO) == 0) {
                d.limit(d.position() + tailBytes);
            }
            write(d, host);
            if (e != (host | COPIED)) {
                tables.setEntry(index, host | COPIED);
            }
        } else {
            tables.ownTable(index);
            long off = refs.allocate();
            write(data.duplicate(), off);
            releaseLater(e);
            tables.setEntry(index, off | COPIED);
        }
        step();
    }

    /** Writes one guest cluster as a compressed payload (zlib or zstd per the image's compression type). */
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        checkIndex(index);
        int len = payload.remaining();
        if (len <= 0 || len > clusterSize) {
            throw new IllegalArgumentException("compressed payload of " + len + " bytes");
        }
        long e = tables.entry(index);
        tables.ownTable(index);
        long off = compressedSpace.allocate(len);
        write(payload.duplicate(), off);
        releaseLater(e);
        tables.setEntry(index, Entries.compressedEntry(off, len, clusterBits));
        step();
    }

    /** Makes one guest cluster read as zeros. */
    public void writeZero(long index) throws IOException {
        checkIndex(index);
        long e = tables.entry(index);
        long host = e & OFFSET_MASK;
        boolean compressed = (e & COMPRESSED) != 0;
        if (v3) {
            if (compressed) {
                releaseLater(e);
                tables.setEntry(index, ZERO);
            } else if ((e & ZERO) == 0) {
                if (index == tailIndex && data.channel() != null
                        && Entries.type(e, false, true) == Entries.Type.NORMAL) {
                    Positional.writeFully(data.channel(), zeros.clear().limit(tailBytes), index << clusterBits);
                } else if (data.channel() != null && index != tailIndex) {
                    releaseLater(e, index); // QEMU unmaps a data file's zeroed clusters
                    tables.setEntry(index, ZERO);
                } else if (index == tailIndex && host != 0) {
                    write(zeros.clear().limit(tailBytes), host);
                } else if (index != tailIndex || backing) {
                    tables.setEntry(index, e | ZERO);
                }
            }
        } else if (compressed) {
            if (backing) {
                tables.ownTable(index);
                long off = refs.allocate();
                write(zeros.clear(), off);
                tables.setEntry(index, off | COPIED);
            } else {
                tables.setEntry(index, 0);
            }
            releaseLater(e);
        } else if (host != 0) {
            write(zeros.clear().limit(index == tailIndex ? tailBytes : clusterSize), host);
        } else if (backing) {
            tables.ownTable(index);
            long off = refs.allocate();
            write(zeros.clear(), off);
            tables.setEntry(index, off | COPIED);
        }
        step();
    }

    /**
     * Makes one guest cluster read as zeros and, on v3, gives up its host cluster (QEMU's zero write with
     * {@code BDRV_REQ_MAY_UNMAP}: the entry becomes the bare zero flag and what it held is freed). v2 images,
     * which have no zero flag, and a partial last cluster are written as {@link #writeZero(long)} writes them.
     */
    @Override
    public void writeZeroUnmap(long index) throws IOException {
        checkIndex(index);
        if (!v3 || index == tailIndex) {
            writeZero(index);
            return;
        }
        long e = tables.entry(index);
        if (e != ZERO) {
            releaseLater(e, index);
            tables.setEntry(index, ZERO);
        }
        step();
    }

    /** Queues the release of what an L2 entry owned, done once the new entry is on disk. */
    private void releaseLater(long e) {
        releaseLater(e, -1);
    }

    /** As {@link #releaseLater(long)}; a data file's cluster (guest {@code index}) is discarded instead. */
    private void releaseLater(long e, long index) {
        if (data.channel() != null) {
            // data file clusters have no refcounts: QEMU discards them in the data file
            if (index >= 0 && Entries.type(e, false, true) == Entries.Type.NORMAL) {
                dataHoles.add(new long[] {index << clusterBits, clusterSize});
            }
            return;
        }
        if ((e & COMPRESSED) != 0) {
            pendingFree.add(payloadRange(e));
        } else if ((e & OFFSET_MASK) != 0) {
            pendingFree.add(new long[] {e & OFFSET_MASK, clusterSize});
        }
    }

    private void write(ByteBuffer src, long pos) throws IOException {
        Positional.writeFully(ch, src, pos);
    }

    private void step() throws IOException {
        if (++batch >= BATCH_CLUSTERS) {
            flushMetadata();
        }
    }

    /** Data and refcounts, then L2 tables, then L1 entries, then releases, each after a flush. */
    private void flushMetadata() throws IOException {
        batch = 0;
        if (tables.clean() && pendingFree.isEmpty() && dataHoles.isEmpty()) {
            return;
        }
        ch.force(false);
        tables.writeTables();
        if (!dataHoles.isEmpty()) {
            org.qimg.format.raw.HostFiles.punchHoles(data.path(), dataHoles.toArray(new long[0][]));
            dataHoles.clear();
        }
        if (!pendingFree.isEmpty()) {
            ch.force(false);
            for (long[] p : pendingFree) {
                long first = p[0] >>> clusterBits;
                long last = (p[0] + p[1] - 1) >>> clusterBits;
                for (long c = first; c <= last; c++) {
                    refs.add(c, -1);
                }
            }
            pendingFree.clear();
        }
    }

    /** Writes the remaining metadata, pads the file to whole sectors and flushes it to disk. */
    public void finish() throws IOException {
        flushMetadata();
        long size = ch.size();
        if (size % 512 != 0) {
            write(ByteBuffer.allocate((int) (512 - size % 512)), size);
        }
        if (data.channel() != null) {
            data.channel().force(true);
        }
        ch.force(true);
    }

    /** Closes the data file it opened; the image's channel is closed by its opener. */
    @Override
    public void close() throws IOException {
        data.close();
    }
}
