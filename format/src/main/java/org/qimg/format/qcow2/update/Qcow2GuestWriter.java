package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ALLOCATED;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ZERO;
import static org.qimg.format.qcow2.layout.Entries.ZERO;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.qimg.format.ClusterSink;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostFiles;

/**
 * Guest writes into an existing qcow2 image in place, made as QEMU's qcow2 driver makes them, for the images
 * that {@link Qcow2Updater} refuses: what {@code qemu-img commit} writes into its base. Whole clusters, in
 * increasing order, from one thread.
 *
 * <ul>
 *   <li>internal snapshots: an L2 table whose L1 entry lacks COPIED (shared with a snapshot) is copied into a
 *   new cluster before it changes (QEMU's {@code l2_allocate}); a data cluster whose refcount is not 1 is
 *   never overwritten: the new data goes to a new cluster and the old one loses the active view's reference
 *   (copy-on-write), so every snapshot keeps its content;</li>
 *   <li>extended L2 entries: a written cluster has all 32 subclusters allocated; a zeroed one has all of them
 *   zero (with its host cluster released when the write may unmap, as {@code zero_in_l2_slice});</li>
 *   <li>an external data file: guest cluster N lives at data file offset N * cluster size and has no refcount
 *   (QEMU's {@code do_alloc_cluster_offset}); with {@code data_file_raw} zeroed ranges are also written as
 *   zeros into the data file, which must read as the guest does.</li>
 * </ul>
 *
 * <p>Ordering as {@link Qcow2Updater}: data and refcount increments first, then (after a flush) L2 tables, then
 * L1 entries, then the refcount decrements of what was replaced; host clusters that become free are punched
 * out of the file (QEMU passes the discards of {@code BDRV_O_UNMAP} through). Refcounts are exact at every
 * point, so a crash leaks clusters at worst. Refused: encryption, persistent bitmaps, the dirty or corrupt bit
 * and unknown incompatible features.
 */
public final class Qcow2GuestWriter implements ClusterSink {
    /**
     * Metadata is written (after one flush of the data) once this many L2 tables are dirty or this many
     * releases wait, and at the end: as QEMU's qcow2 cache, which writes tables back when it evicts them or
     * on flush, an update costs a few flushes, not a few per thousand clusters.
     */
    private static final int BATCH_TABLES = 64;
    private static final int BATCH_RELEASES = 1 << 16;
    private static final int STAGE = 1 << 20;

    private final RandomAccessFile raf;
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final FileChannel data;
    private final Path dataPath;
    private final boolean ext;
    private final int stride;
    private final int clusterBits;
    private final int clusterSize;
    private final int perTable;
    private final long[] l1;
    private final UpdaterRefcounts refs;
    private final Map<Integer, long[]> l2 = new HashMap<>();
    private final TreeSet<Integer> dirtyL2 = new TreeSet<>();
    private final TreeSet<Integer> dirtyL1 = new TreeSet<>();
    /** {host offset, bytes} whose refcounts drop once the new entries are on disk. */
    private final List<long[]> pendingFree = new ArrayList<>();
    /** Data file ranges given up, punched at the next flush. */
    private final List<long[]> dataPunches = new ArrayList<>();
    private final ByteBuffer zeros;
    /** Cluster writes to consecutive host offsets, gathered into one write of up to {@link #STAGE} bytes (or one
     *  cluster). */
    private final ByteBuffer staged;
    private FileChannel stagedChannel;
    private long stagedAt;

    private Qcow2GuestWriter(RandomAccessFile raf, Path file, Qcow2Header h) throws IOException {
        this.raf = raf;
        this.ch = NamedChannel.wrap(raf.getChannel(), file);
        this.file = file;
        this.h = h;
        this.ext = h.hasExtendedL2();
        this.stride = ext ? 2 : 1;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.perTable = clusterSize / Entries.l2EntryBytes(ext);
        this.zeros = ByteBuffer.allocateDirect(clusterSize);
        this.staged = ByteBuffer.allocateDirect(Math.max(STAGE, clusterSize));
        ByteBuffer buf = ByteBuffer.allocate(h.l1Size() * Entries.ENTRY_BYTES);
        Positional.readFully(ch, buf, h.l1TableOffset(), file);
        buf.flip();
        l1 = new long[h.l1Size()];
        for (int i = 0; i < l1.length; i++) {
            l1[i] = buf.getLong();
        }
        refs = new UpdaterRefcounts(ch, file, h);
        if (h.hasExternalDataFile()) {
            String name = h.extensions().dataFile();
            if (name == null) {
                throw new ImageException("Could not open '" + file + "': Image does not have an external data file "
                        + "name");
            }
            Path n = Path.of(name);
            dataPath = n.isAbsolute() || file.getParent() == null ? n : file.getParent().resolve(n);
            data = NamedChannel.open(dataPath, java.nio.file.StandardOpenOption.READ,
                    java.nio.file.StandardOpenOption.WRITE);
        } else {
            dataPath = null;
            data = null;
        }
    }

    /** Opens {@code path} for guest writes; refuses (before any write) what it cannot write safely. */
    public static Qcow2GuestWriter open(Path path) throws IOException {
        RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw");
        try {
            Qcow2Header h = Qcow2Header.read(NamedChannel.wrap(raf.getChannel(), path), path);
            String f = path.toString();
            Qcow2Updater.requireClean(h, f);
            if ((h.autoclearFeatures() & HeaderLayout.AUTOCLEAR_BITMAPS) != 0 || h.extensions().bitmaps() != null) {
                throw new UnsupportedFeatureException(f + ": image has persistent dirty bitmaps; qimg does not write"
                        + " into such images in place");
            }
            if (h.cryptMethod() != 0) {
                throw new UnsupportedFeatureException(f + ": image is encrypted");
            }
            Qcow2GuestWriter w = new Qcow2GuestWriter(raf, path, h);
            long autoclear = h.autoclearFeatures();
            if ((autoclear & ~HeaderLayout.AUTOCLEAR_KNOWN) != 0) {
                // autoclear bits a writer does not know are cleared, as the spec asks
                Positional.writeFully(w.ch, ByteBuffer.allocate(8).putLong(0, autoclear & HeaderLayout.AUTOCLEAR_KNOWN),
                        HeaderLayout.OFF_AUTOCLEAR);
            }
            return w;
        } catch (IOException | RuntimeException e) {
            raf.close();
            throw e;
        }
    }

    @Override
    public int clusterSize() {
        return clusterSize;
    }

    /** The L2 table of L1 index {@code i} as entries (and bitmaps, interleaved, with extended L2); null if none. */
    private long[] table(int i) throws IOException {
        long[] t = l2.get(i);
        if (t != null) {
            return t;
        }
        long off = l1[i] & OFFSET_MASK;
        if (off == 0) {
            return null;
        }
        if ((off & (clusterSize - 1)) != 0 || off > ch.size() - clusterSize) {
            throw new CorruptImageException(file.toString(), h.l1TableOffset() + 8L * i, "L1 entry " + i
                    + " must point to a cluster-aligned L2 table inside the file, found 0x" + Long.toHexString(l1[i]));
        }
        ByteBuffer buf = ByteBuffer.allocate(clusterSize);
        Positional.readFully(ch, buf, off, file);
        buf.flip();
        t = new long[perTable * stride];
        for (int k = 0; k < t.length; k++) {
            t[k] = buf.getLong();
        }
        l2.put(i, t);
        return t;
    }

    /**
     * The L2 table of L1 index {@code i}, owned by the active view alone: a new empty one when there is none, a
     * copy when it is shared with a snapshot (QEMU's {@code l2_allocate}).
     */
    private long[] ownTable(int i) throws IOException {
        if (i >= l1.length) {
            throw new IllegalArgumentException("guest cluster beyond the L1 table (entry " + i + ")");
        }
        long old = l1[i] & OFFSET_MASK;
        if (old != 0 && (l1[i] & COPIED) != 0 && refs.get(old >>> clusterBits) == 1) {
            return table(i);
        }
        long[] t = old == 0 ? new long[perTable * stride] : table(i).clone();
        long at = refs.allocate();
        l1[i] = at | COPIED;
        l2.put(i, t);
        dirtyL1.add(i);
        dirtyL2.add(i);
        if (old != 0) {
            pendingFree.add(new long[] {old, clusterSize});
        }
        return t;
    }

    private long entry(long index) throws IOException {
        long[] t = table((int) (index / perTable));
        return t == null ? 0 : t[(int) (index % perTable) * stride];
    }

    private long bitmap(long index) throws IOException {
        long[] t = table((int) (index / perTable));
        return t == null || !ext ? 0 : t[(int) (index % perTable) * stride + 1];
    }

    private void set(long index, long entry, long bitmap) throws IOException {
        int i = (int) (index / perTable);
        long[] t = ownTable(i);
        int j = (int) (index % perTable) * stride;
        t[j] = entry;
        if (ext) {
            t[j + 1] = bitmap;
        }
        dirtyL2.add(i);
    }

    private Entries.Type type(long e) {
        return Entries.type(e, ext, data != null);
    }

    @Override
    public void writePlain(long index, ByteBuffer src) throws IOException {
        if (src.remaining() != clusterSize) {
            throw new IllegalArgumentException("need " + clusterSize + " bytes, got " + src.remaining());
        }
        ownTable((int) (index / perTable)); // QEMU allocates the table before the data
        long e = entry(index);
        Entries.Type type = type(e);
        long host = e & OFFSET_MASK;
        boolean inPlace = (type == Entries.Type.NORMAL || type == Entries.Type.ZERO_ALLOC)
                && (data != null || (host != 0 && refs.get(host >>> clusterBits) == 1));
        if (data != null) {
            host = inPlace ? host : index << clusterBits;
            stage(data, host, src);
        } else {
            if (!inPlace) {
                host = refs.allocate();
                release(e);
            }
            stage(ch, host, src);
        }
        set(index, host | COPIED, SUBCLUSTERS_ALLOCATED);
        step();
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        throw new UnsupportedFeatureException(file + ": qimg does not write compressed clusters here");
    }

    @Override
    public void writeZero(long index) throws IOException {
        zero(index, false);
    }

    @Override
    public void writeZeroUnmap(long index) throws IOException {
        zero(index, true);
    }

    /** QEMU's {@code qcow2_subcluster_zeroize} of one whole cluster ({@code zero_in_l2_slice}). */
    private void zero(long index, boolean mayUnmap) throws IOException {
        if (h.dataFileRaw()) {
            // the raw data file must read as the guest does
            stage(data, index << clusterBits, zeros.clear());
        }
        if (h.version() < 3) {
            if (h.backingFile() != null) {
                // no zero flag: QEMU's write-zeroes falls back to writing zeros
                writePlain(index, zeros.clear());
                return;
            }
            long e = entry(index);
            if (e != 0) {
                set(index, 0, 0);
                release(e);
            }
            step();
            return;
        }
        long e = entry(index);
        long bits = bitmap(index);
        Entries.Type type = type(e);
        boolean allocated = type == Entries.Type.NORMAL || type == Entries.Type.ZERO_ALLOC;
        boolean unmap = type == Entries.Type.COMPRESSED || (mayUnmap && allocated);
        long newEntry = unmap ? 0 : e;
        long newBits = bits;
        if (ext) {
            newBits = SUBCLUSTERS_ZERO;
        } else {
            newEntry |= ZERO;
        }
        if (newEntry != e || newBits != bits) {
            set(index, newEntry, newBits);
            if (unmap) {
                release(e);
            }
        }
        step();
    }

    /** Queues what entry {@code e} held to be given up once the entry that replaces it is on disk. */
    private void release(long e) {
        Entries.Type type = type(e);
        if (type == Entries.Type.COMPRESSED) {
            pendingFree.add(new long[] {Entries.compressedOffset(e, clusterBits),
                    Entries.compressedSpan(e, clusterBits)});
        } else if (type == Entries.Type.NORMAL || type == Entries.Type.ZERO_ALLOC) {
            if (data != null) {
                dataPunches.add(new long[] {e & OFFSET_MASK, clusterSize});
            } else if ((e & OFFSET_MASK) != 0) {
                pendingFree.add(new long[] {e & OFFSET_MASK, clusterSize});
            }
        }
    }

    /** Writes {@code src} (one cluster) at {@code pos} of {@code to}, gathered with the writes just before it. */
    private void stage(FileChannel to, long pos, ByteBuffer src) throws IOException {
        if (staged.position() > 0 && (to != stagedChannel || pos != stagedAt + staged.position()
                || staged.remaining() < src.remaining())) {
            unstage();
        }
        if (staged.position() == 0) {
            stagedChannel = to;
            stagedAt = pos;
        }
        staged.put(src.duplicate());
    }

    private void unstage() throws IOException {
        if (staged.position() > 0) {
            staged.flip();
            Positional.writeFully(stagedChannel, staged, stagedAt);
            staged.clear();
        }
    }

    private void step() throws IOException {
        if (dirtyL2.size() >= BATCH_TABLES || pendingFree.size() + dataPunches.size() >= BATCH_RELEASES) {
            flushMetadata();
        }
    }

    /** Data and refcounts, then L2 tables, then L1 entries, then releases, each after a flush. */
    private void flushMetadata() throws IOException {
        unstage();
        if (dirtyL2.isEmpty() && dirtyL1.isEmpty() && pendingFree.isEmpty() && dataPunches.isEmpty()) {
            return;
        }
        if (data != null) {
            data.force(false);
        }
        ch.force(false);
        ByteBuffer buf = ByteBuffer.allocate(clusterSize);
        for (int i : dirtyL2) {
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
        if (!pendingFree.isEmpty()) {
            ch.force(false);
            List<long[]> holes = new ArrayList<>();
            for (long[] p : pendingFree) {
                long first = p[0] >>> clusterBits;
                long last = (p[0] + p[1] - 1) >>> clusterBits;
                for (long c = first; c <= last; c++) {
                    refs.add(c, -1);
                    if (refs.get(c) == 0) {
                        holes.add(new long[] {c << clusterBits, clusterSize});
                    }
                }
            }
            pendingFree.clear();
            HostFiles.punchHoles(file, holes.toArray(new long[0][]));
        }
        if (!dataPunches.isEmpty()) {
            if (!h.dataFileRaw()) {
                HostFiles.punchHoles(dataPath, dataPunches.toArray(new long[0][]));
            }
            dataPunches.clear();
        }
    }

    @Override
    public void finish() throws IOException {
        flushMetadata();
        long size = ch.size();
        if (size % 512 != 0) {
            Positional.writeFully(ch, ByteBuffer.allocate((int) (512 - size % 512)), size);
        }
        if (data != null) {
            data.force(true);
        }
        ch.force(true);
    }

    /** Closes the image's files (without {@link #finish()}, what was not flushed is lost). */
    @Override
    public void close() throws IOException {
        try (RandomAccessFile r = raf; FileChannel d = data) {
            // closed by try-with-resources
        }
    }
}
