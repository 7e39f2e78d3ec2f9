package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ALLOCATED;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ZERO;
import static org.qimg.format.qcow2.layout.Entries.ZERO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostFiles;

/**
 * Writes guest data into an existing qcow2 image as QEMU 7.2's qcow2 driver does for one write request per
 * call (what {@code qemu-img rebase} in safe mode writes into its overlay and {@code qemu-img commit} into its
 * base), on any qcow2 image QEMU writes:
 *
 * <ul>
 *   <li>internal snapshots: an L2 table or a data cluster without the COPIED flag is shared with a snapshot and
 *   is copied on write ({@code l2_allocate}, {@code handle_alloc}); the shared original loses one reference once
 *   the new one is linked, so every snapshot keeps its content and refcounts stay exact;</li>
 *   <li>extended L2 entries: each {@link #writePlain(long, ByteBuffer, int, boolean)} is one request on the
 *   subclusters of its mask; a new allocation covers those subclusters (plus, when an allocated cluster is
 *   copied, its allocated ones: {@code calculate_l2_meta}'s COW range); an in-place write adds the request's
 *   subclusters to the bitmap; zero writes set zero bits ({@code zero_l2_subclusters});</li>
 *   <li>an external data file: data goes to the data file at the guest offset ({@code do_alloc_cluster_offset}),
 *   the image itself only gets L2 tables; compressed writes are refused as QEMU refuses them; with
 *   {@code data_file_raw} a {@link #writeZeroUnmap} also writes zeros into the data file, which must read as the
 *   guest does.</li>
 * </ul>
 *
 * <p>{@code data} given to a write is always the cluster's whole guest content as it reads now (the caller
 * writes back what it read through the image): QEMU's copy-on-write reads the same bytes, so writing the COW
 * range from {@code data} gives the bytes QEMU writes. Data writes to consecutive host offsets are coalesced.
 *
 * <p>Ordering as in {@link Qcow2Updater}: data and refcount increments, then (after a flush) L2 tables, then L1
 * entries, then the releases of replaced clusters and tables. Refcount changes are held in memory and written
 * per refcount block at each of those points (one write per block, not one per cluster). Host clusters that
 * {@link #writeZeroUnmap} gives up are punched out of the file (or the data file) once their refcount reaches 0,
 * as QEMU passes the discards of {@code BDRV_REQ_MAY_UNMAP} requests through; clusters freed otherwise (copy on
 * write, replaced tables) are not ({@code QCOW2_DISCARD_NEVER}, {@code pass-discard-other=off}). Not thread-safe;
 * one thread, one call at a time.
 */
public final class Qcow2OverlayWriter implements ClusterSink {
    /**
     * Metadata is written (after one flush of the data) once this many calls were made or this many L2 tables
     * are held, and at the end: as QEMU's qcow2 cache, which writes tables back when it evicts them or on
     * flush, an update costs a few flushes, not one per few hundred MiB (measured: bench/commit.sh 1.8 s with a
     * flush every 8192 clusters, 1.1 s with these limits); memory stays bounded by the tables held.
     */
    private static final int BATCH_CLUSTERS = 1 << 16;
    private static final int BATCH_TABLES = 64;

    private final FileChannel ch;
    private final FileChannel data;
    /** The external data file's path; null without one. */
    private final Path dataPath;
    private final Path file;
    private final Qcow2Header h;
    private final int clusterBits;
    private final int clusterSize;
    private final int subclusterBits;
    private final boolean ext;
    private final boolean dataFile;
    private final boolean dataFileRaw;
    private final boolean v3;
    private final boolean backing;
    private final UpdaterRefcounts refs;
    private final CompressedSpace compressedSpace;
    private final OverlayTables tables;
    /**
     * {host offset, bytes} whose refcounts drop once the entries that replace them are on disk; a third element
     * (any value) asks for the host clusters that reach refcount 0 to be punched out (a discard QEMU passes on).
     */
    private final List<long[]> pendingFree = new ArrayList<>();
    /** Data file ranges given up by {@link #writeZeroUnmap}, punched at the next flush. */
    private final List<long[]> dataPunches = new ArrayList<>();
    /** One cluster of zeros for the data file of {@code data_file_raw} images (allocated when first needed). */
    private ByteBuffer zeros;
    private final WriteCombiner out;
    private int batch;

    private Qcow2OverlayWriter(FileChannel ch, FileChannel data, Path dataPath, Path file, Qcow2Header h)
            throws IOException {
        this.ch = ch;
        this.data = data;
        this.dataPath = dataPath;
        this.file = file;
        this.h = h;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.ext = h.hasExtendedL2();
        this.subclusterBits = ext ? clusterBits - 5 : clusterBits;
        this.dataFile = data != ch;
        this.dataFileRaw = dataFile && h.dataFileRaw();
        this.v3 = h.version() >= 3;
        this.backing = h.backingFile() != null;
        this.refs = new UpdaterRefcounts(ch, file, h);
        refs.deferWrites(); // written by flushMetadata, before the tables that need them
        this.compressedSpace = new CompressedSpace(refs, clusterBits);
        this.tables = new OverlayTables(ch, file, h, refs, dataFile, pendingFree);
        this.out = new WriteCombiner(data);
        if (!dataFile) {
            refs.beforeGrow(out::flush);
        }
    }

    /**
     * Opens the qcow2 image on {@code ch} (readable and writable); its external data file, if any, is opened
     * here (beside the image unless its name is absolute) and closed by {@link #close()}. Images QEMU would
     * have to repair first, encrypted images and images with persistent bitmaps are refused before any write.
     */
    public static Qcow2OverlayWriter open(FileChannel ch, Path file) throws IOException {
        FileChannel named = NamedChannel.wrap(ch, file);
        Qcow2Header h = Qcow2Header.read(named, file);
        String f = file.toString();
        Qcow2Updater.requireClean(h, f);
        if ((h.autoclearFeatures() & HeaderLayout.AUTOCLEAR_BITMAPS) != 0 || h.extensions().bitmaps() != null) {
            throw new UnsupportedFeatureException(f + ": image has persistent dirty bitmaps; qimg does not write"
                    + " into such images in place");
        }
        if (h.cryptMethod() != 0) {
            throw new UnsupportedFeatureException(f + ": image is encrypted");
        }
        FileChannel data = named;
        Path dataPath = null;
        if (h.hasExternalDataFile()) {
            String name = h.extensions().dataFile();
            if (name == null) {
                throw new ImageException("Could not open '" + file + "': Image does not have an external data file "
                        + "name");
            }
            dataPath = dataFilePath(file, name);
            data = openDataFile(dataPath);
        }
        Qcow2OverlayWriter w;
        try {
            w = new Qcow2OverlayWriter(named, data, dataPath, file, h);
        } catch (IOException | RuntimeException e) {
            if (data != named) {
                data.close();
            }
            throw e;
        }
        long unknown = h.autoclearFeatures() & ~HeaderLayout.AUTOCLEAR_KNOWN;
        if (unknown != 0) { // QEMU clears the autoclear bits it does not know when it opens an image to write
            Positional.writeFully(named, ByteBuffer.allocate(8).putLong(0, h.autoclearFeatures() & ~unknown),
                    HeaderLayout.OFF_AUTOCLEAR);
        }
        return w;
    }

    /** Where the data file named {@code name} in {@code image}'s header is: beside the image unless absolute. */
    private static Path dataFilePath(Path image, String name) {
        Path n = Path.of(name);
        Path dir = image.getParent();
        return n.isAbsolute() || dir == null ? n : dir.resolve(n);
    }

    private static FileChannel openDataFile(Path p) throws IOException {
        try {
            return NamedChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not open '" + p + "': No such file or directory", e);
        }
    }

    @Override
    public int clusterSize() {
        return clusterSize;
    }

    @Override
    public int subclusterSize() {
        return 1 << subclusterBits;
    }

    @Override
    public void writePlain(long index, ByteBuffer content) throws IOException {
        writePlain(index, content, -1, true);
    }

    /**
     * One write request on cluster {@code index}: {@code content} is the cluster's whole guest content; with
     * extended L2 the request touches the contiguous subclusters of {@code subclusterMask}, without it the
     * whole cluster.
     */
    @Override
    public void writePlain(long index, ByteBuffer content, int subclusterMask, boolean startsWrite)
            throws IOException {
        if (content.remaining() != clusterSize) {
            throw new IllegalArgumentException("need " + clusterSize + " bytes, got " + content.remaining());
        }
        if (subclusterMask == 0) {
            throw new IllegalArgumentException("empty subcluster mask");
        }
        int firstSc = ext ? Integer.numberOfTrailingZeros(subclusterMask) : 0;
        int lastSc = ext ? 31 - Integer.numberOfLeadingZeros(subclusterMask) : 0;
        int slot = tables.writableSlot(index);
        long[] t = tables.table(index);
        long e = t[slot];
        long bm = ext ? t[slot + 1] : 0;
        Entries.Type type = Entries.type(e, ext, dataFile);
        boolean inPlace = (e & COPIED) != 0 && (type == Entries.Type.NORMAL || type == Entries.Type.ZERO_ALLOC);
        int fromSc = firstSc;
        int toSc = lastSc;
        long host;
        if (inPlace) {
            host = e & OFFSET_MASK;
        } else {
            if (ext && type == Entries.Type.NORMAL) { // copy of a shared cluster: its allocated subclusters too
                int alloc = (int) (bm & SUBCLUSTERS_ALLOCATED);
                fromSc = Math.min(firstSc, Integer.numberOfTrailingZeros(alloc));
                toSc = Math.max(lastSc, 31 - Integer.numberOfLeadingZeros(alloc));
            } else if (ext && type == Entries.Type.COMPRESSED) {
                fromSc = 0;
                toSc = SUBCLUSTERS - 1;
                bm = 0;
            }
            host = dataFile ? index << clusterBits : refs.allocate();
            release(e);
        }
        int from = ext ? fromSc << subclusterBits : 0;
        int to = ext ? (toSc + 1) << subclusterBits : clusterSize;
        out.write(content.duplicate().position(content.position() + from).limit(content.position() + to),
                host + from);
        if (ext) {
            long range = rangeBits(fromSc, toSc);
            bm = (bm | range) & ~(range << 32);
            t[slot + 1] = bm;
        }
        t[slot] = host | COPIED;
        tables.dirty(index);
        step();
    }

    /** Bits fromSc..toSc of a 32-bit subcluster bitmap. */
    private static long rangeBits(int fromSc, int toSc) {
        return ((1L << (toSc + 1)) - 1) & ~((1L << fromSc) - 1);
    }

    /** Queues the release of the cluster an entry being replaced owned (nothing with a data file). */
    private void release(long e) {
        if ((e & COMPRESSED) != 0) {
            pendingFree.add(new long[] {Entries.compressedOffset(e, clusterBits),
                    Entries.compressedSpan(e, clusterBits)});
        } else if (!dataFile && (e & OFFSET_MASK) != 0) {
            pendingFree.add(new long[] {e & OFFSET_MASK, clusterSize});
        }
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        if (dataFile) {
            throw new ImageException("Error while writing to COW image: Operation not supported");
        }
        int len = payload.remaining();
        if (len <= 0 || len > clusterSize) {
            throw new IllegalArgumentException("compressed payload of " + len + " bytes");
        }
        int slot = tables.writableSlot(index);
        long[] t = tables.table(index);
        long off = compressedSpace.allocate(len);
        out.write(payload.duplicate(), off);
        release(t[slot]);
        t[slot] = Entries.compressedEntry(off, len, clusterBits);
        if (ext) {
            t[slot + 1] = 0;
        }
        tables.dirty(index);
        step();
    }

    /** QEMU's write-zeroes of a whole cluster without unmap ({@code zero_in_l2_slice}). */
    @Override
    public void writeZero(long index) throws IOException {
        if (!v3) {
            if (backing) { // no zero flag: QEMU falls back to writing zeros
                writePlain(index, ByteBuffer.allocate(clusterSize), -1, true);
                return;
            }
            int slot = tables.writableSlot(index);
            long[] t = tables.table(index);
            release(t[slot]);
            t[slot] = 0;
            tables.dirty(index);
            step();
            return;
        }
        int slot = tables.writableSlot(index);
        long[] t = tables.table(index);
        long e = t[slot];
        boolean compressed = (e & COMPRESSED) != 0;
        long ne = compressed ? 0 : e;
        if (compressed) {
            release(e);
        }
        if (ext) {
            t[slot] = ne;
            t[slot + 1] = SUBCLUSTERS_ZERO;
        } else {
            t[slot] = ne | ZERO;
        }
        tables.dirty(index);
        step();
    }

    /**
     * QEMU's write-zeroes of a whole cluster with {@code BDRV_REQ_MAY_UNMAP} ({@code zero_in_l2_slice} with
     * unmap, what its commit job writes into the base): an allocated or compressed cluster gives up its host
     * cluster (punched out once free) and reads as zeros; an entry that already reads as zeros is left alone
     * (its table is not copied or allocated). Qcow2 v2 has no zero flag: without a backing file the entry is
     * cleared, with one zeros are written as data. With {@code data_file_raw} zeros are also written into the
     * data file.
     */
    @Override
    public void writeZeroUnmap(long index) throws IOException {
        if (dataFileRaw) {
            if (zeros == null) {
                zeros = ByteBuffer.allocateDirect(clusterSize);
            }
            out.write(zeros.duplicate(), index << clusterBits);
        }
        if (!v3 && backing) {
            writePlain(index, ByteBuffer.allocate(clusterSize), -1, true);
            return;
        }
        long[] t = tables.peek(index);
        int slot = tables.slot(index);
        long e = t == null ? 0 : t[slot];
        long bm = t == null || !ext ? 0 : t[slot + 1];
        long ne;
        long nbm = bm;
        boolean unmap;
        if (!v3) {
            unmap = true;
            ne = 0;
        } else {
            Entries.Type type = Entries.type(e, ext, dataFile);
            unmap = type == Entries.Type.COMPRESSED || type == Entries.Type.NORMAL
                    || type == Entries.Type.ZERO_ALLOC;
            ne = unmap ? 0 : e;
            if (ext) {
                nbm = SUBCLUSTERS_ZERO;
            } else {
                ne |= ZERO;
            }
        }
        if (ne != e || nbm != bm) {
            slot = tables.writableSlot(index);
            t = tables.table(index);
            t[slot] = ne;
            if (ext) {
                t[slot + 1] = nbm;
            }
            if (unmap) {
                discard(e);
            }
            tables.dirty(index);
        }
        step();
    }

    /** As {@link #release(long)}, but the host clusters that become free are punched out (a passed discard). */
    private void discard(long e) {
        Entries.Type type = Entries.type(e, ext, dataFile);
        if (type == Entries.Type.COMPRESSED) {
            pendingFree.add(new long[] {Entries.compressedOffset(e, clusterBits),
                    Entries.compressedSpan(e, clusterBits), 1});
        } else if (type == Entries.Type.NORMAL || type == Entries.Type.ZERO_ALLOC) {
            if (dataFile) {
                if (!dataFileRaw) {
                    dataPunches.add(new long[] {e & OFFSET_MASK, clusterSize});
                }
            } else if ((e & OFFSET_MASK) != 0) {
                pendingFree.add(new long[] {e & OFFSET_MASK, clusterSize, 1});
            }
        }
    }

    /** QEMU's {@code zero_l2_subclusters}: zero bits set, allocation bits cleared for the mask. */
    @Override
    public void writeZeroSubclusters(long index, int subclusterMask) throws IOException {
        if (subclusterMask == -1 || !ext) {
            writeZero(index);
            return;
        }
        int slot = tables.writableSlot(index);
        long[] t = tables.table(index);
        if ((t[slot] & COMPRESSED) != 0) {
            throw new IllegalStateException("a compressed cluster cannot be zeroed in part");
        }
        long m = subclusterMask & SUBCLUSTERS_ALLOCATED;
        t[slot + 1] = (t[slot + 1] | (m << 32)) & ~m;
        tables.dirty(index);
        step();
    }

    private void step() throws IOException {
        if (++batch >= BATCH_CLUSTERS || tables.loadedCount() >= BATCH_TABLES) {
            flushMetadata();
        }
    }

    /** Data and refcounts, then L2 tables, then L1 entries, then releases, each after a flush. */
    private void flushMetadata() throws IOException {
        batch = 0;
        out.flush();
        refs.writeDeferred();
        if (!tables.hasDirty() && pendingFree.isEmpty() && dataPunches.isEmpty()) {
            return;
        }
        if (dataFile) {
            data.force(false);
        }
        ch.force(false);
        if (tables.writeDirty()) {
            ch.force(false);
            tables.writeL1();
        }
        if (!pendingFree.isEmpty()) {
            ch.force(false);
            List<long[]> holes = new ArrayList<>();
            for (long[] p : pendingFree) {
                long first = p[0] >>> clusterBits;
                long last = (p[0] + p[1] - 1) >>> clusterBits;
                for (long c = first; c <= last; c++) {
                    refs.add(c, -1);
                    if (p.length > 2 && refs.get(c) == 0) {
                        holes.add(new long[] {c << clusterBits, clusterSize});
                    }
                }
            }
            pendingFree.clear();
            refs.writeDeferred();
            HostFiles.punchHoles(file, holes.toArray(new long[0][]));
        }
        if (!dataPunches.isEmpty()) {
            HostFiles.punchHoles(dataPath, dataPunches.toArray(new long[0][]));
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
        if (dataFile) {
            data.force(true);
        }
        ch.force(true);
    }

    /** Closes the data file this writer opened; the image's channel belongs to its opener. */
    @Override
    public void close() throws IOException {
        if (dataFile) {
            data.close();
        }
    }

    /** Header of the image as opened (for tests and callers that need its facts). */
    Qcow2Header header() {
        return h;
    }

    Path file() {
        return file;
    }
}
