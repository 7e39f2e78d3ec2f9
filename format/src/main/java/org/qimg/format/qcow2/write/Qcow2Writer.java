package org.qimg.format.qcow2.write;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ALLOCATED;
import static org.qimg.format.qcow2.layout.Entries.SUBCLUSTERS_ZERO;
import static org.qimg.format.qcow2.layout.Entries.ZERO;
import static org.qimg.format.qcow2.layout.HeaderLayout.MAX_L1_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;

/**
 * Writes a fresh qcow2 image laid out as {@code qemu-img create} + {@code qemu-img convert} lay one out.
 * Clusters are handed over in increasing guest order by a single thread; clusters never handed over stay
 * unallocated (read as zero, or through the backing file).
 *
 * <p>The layout follows QEMU 7.2 decision by decision: header at cluster 0, refcount table at 1, refcount
 * block 0 at 2, the L1 table next; L2 tables allocated just before the first data that needs them;
 * plain data allocated in runs as QEMU's qcow2 driver allocates a write request (consecutive clusters of
 * one L2 table, a new run where the caller says a request starts, with only the subclusters it wrote
 * allocated under extended L2); compressed payloads packed byte by byte; refcount blocks and table growth as
 * {@link WriterRefcounts} describes. Which requests qemu-img convert makes is the caller's business
 * (converters' {@code QemuRequestPlanner}): given the same clusters grouped into the same requests, the file
 * is byte-identical to qemu-img's.
 *
 * <p>Memory: the L1 table, the current L2 table, one run buffer ({@link #RUN_BUFFER_BYTES} plus one
 * cluster, at least two clusters) and the refcount blocks; nothing proportional to the guest data.
 */
public final class Qcow2Writer implements ClusterSink {
    /** Extended L2 bitmap: all 32 subclusters allocated / all read as zero. */
    /** Every subcluster of a cluster, as a mask for {@link #writePlain(long, ByteBuffer, int, boolean)}. */
    public static final int ALL_SUBCLUSTERS = -1;
    /**
     * Whole clusters of this many bytes, plus one, fit in the run buffer; a longer run is split. Callers whose
     * requests must each stay one run (converters' imitation of qemu-img's 2 MiB requests, which may touch one
     * more cluster when they start inside one) group no more than this.
     */
    public static final int RUN_BUFFER_BYTES = 2 << 20;
    /** QEMU's QCOW_MAX_L1_SIZE. */

    private final Qcow2CreateOptions options;
    private final WriterFile file;
    private final WriterRefcounts refcounts;
    private final int clusterSize;
    private final int clusterBits;
    private final int l2Entries;
    private final int l2EntrySize;
    private final long clusterCount;
    private final long l1Offset;
    private final long[] l1;
    /** Null, or the preallocated layout (every L2 entry and, in the image file, every data cluster). */
    private final WriterPrealloc prealloc;
    /** Where data clusters are written: the image file, or the external data file (at their guest offset). */
    private final WriterFile data;
    private final boolean externalData;
    /** The external data file's channel, owned (closed by {@link #close()}); null without one. */
    private final FileChannel dataChannel;

    private long curL2Index = -1;
    private ByteBuffer curL2;
    private long lastIndex = -1;

    /** Clusters one allocation run may hold. */
    private final int runCapacity;
    private ByteBuffer runBuf;
    private long[] runBitmaps;
    /** Where each cluster of the pending run is: runBuf (copied) or a caller's buffer (borrowed). */
    private ByteBuffer[] runBase;
    private int[] runOffset;
    private long runStart = -1;
    private int runCount;

    private boolean anyCompressed;
    private boolean compressedMode;
    private boolean finished;

    private Qcow2Writer(FileChannel channel, Path path, Qcow2CreateOptions options, FileChannel dataChannel,
                        Path dataPath) throws IOException {
        this.options = options;
        this.file = new WriterFile(channel, path);
        this.externalData = options.dataFile() != null;
        if (externalData && dataChannel == null) {
            throw new IllegalArgumentException("an image with an external data file needs the data file's channel");
        }
        this.data = externalData ? new WriterFile(dataChannel, dataPath) : file;
        this.dataChannel = externalData ? dataChannel : null;
        this.clusterSize = options.clusterSize();
        this.clusterBits = options.clusterBits();
        this.l2EntrySize = options.l2EntrySize();
        this.l2Entries = clusterSize / l2EntrySize;
        this.clusterCount = WriterMath.ceilDiv(options.virtualSize(), clusterSize);
        long l1Size = WriterMath.ceilDiv(clusterCount, l2Entries);
        if (l1Size * 8 > MAX_L1_BYTES) {
            throw new ImageLimitException("Could not resize image: The L1 table would be " + l1Size * 8
                    + " bytes, more than the " + MAX_L1_BYTES + " QEMU allows (image too large for cluster size "
                    + clusterSize + ")");
        }
        this.runCapacity = Math.max(1, RUN_BUFFER_BYTES / clusterSize) + 1;
        // qemu-img create: header cluster, then refcount table and block written as two zeroed clusters.
        file.noteWrite(0, 3L * clusterSize);
        this.refcounts = new WriterRefcounts(file, clusterBits, options.refcountOrder());
        long first = refcounts.allocClusters(3L * clusterSize);
        assert first == 0;
        this.l1 = new long[(int) l1Size];
        if (l1Size > 0) {
            this.l1Offset = refcounts.allocClusters(l1Size * 8);
            file.noteWrite(l1Offset, l1Size * 8);
        } else {
            this.l1Offset = 0;
        }
        Qcow2CreateOptions.Preallocation mode = options.metadataPreallocation();
        if (mode == Qcow2CreateOptions.Preallocation.OFF) {
            this.prealloc = null;
        } else if (mode == Qcow2CreateOptions.Preallocation.METADATA || externalData) {
            this.prealloc = WriterPrealloc.run(options, file, refcounts, l1, clusterCount, externalData);
        } else {
            this.prealloc = WriterPrealloc.runArea(options, file, refcounts, l1, l1Offset, clusterCount);
        }
    }

    /** Starts an image of {@code options.virtualSize()} bytes in {@code channel} (empty, writable). */
    public static Qcow2Writer create(FileChannel channel, Path pathForErrors, Qcow2CreateOptions options)
            throws IOException {
        return new Qcow2Writer(channel, pathForErrors, options, null, null);
    }

    /**
     * As {@link #create(FileChannel, Path, Qcow2CreateOptions)} for an image with an external data file
     * ({@code options.dataFile()}): guest cluster i is written at offset i * cluster size of {@code dataChannel},
     * which the caller has created and sized (the image file holds only metadata). The writer owns
     * {@code dataChannel}: {@link #finish()} syncs it, {@link #close()} closes it.
     */
    public static Qcow2Writer create(FileChannel channel, Path pathForErrors, Qcow2CreateOptions options,
                                     FileChannel dataChannel, Path dataPath) throws IOException {
        return new Qcow2Writer(channel, pathForErrors, options, dataChannel, dataPath);
    }

    public int clusterSize() {
        return clusterSize;
    }

    /** Number of guest clusters (the last may be partly beyond the virtual size). */
    public long clusterCount() {
        return clusterCount;
    }

    public Qcow2CreateOptions options() {
        return options;
    }

    /**
     * Stores guest cluster {@code index} uncompressed; {@code data} holds exactly one cluster. The cluster
     * continues the pending allocation run when it directly follows it (see
     * {@link #writePlain(long, ByteBuffer, int, boolean)} to start a new one).
     */
    public void writePlain(long index, ByteBuffer data) throws IOException {
        writePlain(index, data, ALL_SUBCLUSTERS, false);
    }

    /**
     * As {@link #writePlain(long, ByteBuffer, int, boolean)}, but the cluster is not copied: the run it joins
     * is written straight from {@code base} (consecutive clusters of one buffer in one write) when the run is
     * complete, or copied by {@link #release(ByteBuffer)}. Preallocated images and compressed mode write at
     * once and never borrow.
     */
    @Override
    public void writePlainBorrowed(long index, ByteBuffer base, int offset, int subclusterMask, boolean startsWrite)
            throws IOException {
        if (prealloc != null || compressedMode) {
            writePlain(index, base.slice(offset, clusterSize), subclusterMask, startsWrite);
            return;
        }
        if (offset < 0 || offset > base.capacity() - clusterSize) {
            throw new IllegalArgumentException("cluster at " + offset + " is outside a buffer of "
                    + base.capacity() + " bytes");
        }
        checkPlain(index, subclusterMask);
        appendToRun(index, subclusterMask, startsWrite);
        addToRun(base, offset);
    }

    /** Copies the pending clusters borrowed from {@code base} into the run buffer. */
    @Override
    public void release(ByteBuffer base) {
        for (int i = 0; i < runCount; i++) {
            if (runBase[i] == base) {
                runBuf.put(i * clusterSize, base, runOffset[i], clusterSize);
                runBase[i] = runBuf;
                runOffset[i] = i * clusterSize;
            }
        }
    }

    /**
     * Stores guest cluster {@code index} uncompressed, as the end result of qemu write requests into a fresh
     * image.
     *
     * @param data           exactly one cluster: the cluster's final content (zeros where nothing was written)
     * @param subclusterMask bit i set = subcluster i (of 32) was written; with extended L2 only those are
     *                       marked allocated, the others stay unallocated (read as zero / through the backing
     *                       file). Must not be 0. Without extended L2 the whole cluster is allocated.
     * @param startsWrite    true when the cluster is the first one a write request newly allocates; false
     *                       when it continues the allocation of the previous cluster (index - 1, same L2
     *                       table). Host placement of refcount blocks depends on how clusters are grouped.
     */
    public void writePlain(long index, ByteBuffer data, int subclusterMask, boolean startsWrite)
            throws IOException {
        if (data.remaining() != clusterSize) {
            throw new IllegalArgumentException("writePlain needs exactly one cluster (" + clusterSize
                    + " bytes), got " + data.remaining());
        }
        checkPlain(index, subclusterMask);
        if (prealloc != null) {
            long host = prealloc.host(index);
            // as qemu-img: nothing past the guest end, so the last cluster does not grow the preallocated file
            long inImage = options.virtualSize() - index * clusterSize;
            ByteBuffer d = data.duplicate();
            if (inImage < clusterSize) {
                d.limit(d.position() + (int) inImage);
            }
            this.data.writeData(host, d, index * clusterSize, 0);
            if (options.extendedL2()) {
                prealloc.patchBitmap(file, l1, index, allocatedBitmap(subclusterMask));
            }
            return;
        }
        int at = appendToRun(index, subclusterMask, startsWrite) * clusterSize;
        runBuf.put(at, data, data.position(), clusterSize);
        addToRun(runBuf, at);
    }

    private void checkPlain(long index, int subclusterMask) throws ImageException {
        if (subclusterMask == 0) {
            throw new IllegalArgumentException("writePlain of cluster " + index + " with no subcluster written");
        }
        checkIndex(index);
    }

    /** The extended L2 allocation bitmap of the subclusters in mask (0 without extended L2). */
    private long allocatedBitmap(int subclusterMask) {
        return options.extendedL2() ? subclusterMask & SUBCLUSTERS_ALLOCATED : 0;
    }

    /** Where the cluster's bytes are: {@code base} from {@code offset}; completes {@link #appendToRun}. */
    private void addToRun(ByteBuffer base, int offset) {
        runBase[runCount] = base;
        runOffset[runCount] = offset;
        runCount++;
    }

    /**
     * Ends the pending run where cluster index cannot join it, then records index's bitmap as the run's next
     * cluster; returns that cluster's position in the run ({@link #addToRun} says where its bytes are).
     */
    private int appendToRun(long index, int subclusterMask, boolean startsWrite) throws IOException {
        if (runCount > 0 && (startsWrite || index != runStart + runCount
                || index / l2Entries != runStart / l2Entries || runCount == runCapacity)) {
            flushRun();
        }
        if (runBuf == null) {
            // aligned, so that an output channel may write the runs around the page cache
            runBuf = Positional.alignedBuffer(runCapacity * clusterSize);
            runBitmaps = new long[runCapacity];
            runBase = new ByteBuffer[runCapacity];
            runOffset = new int[runCapacity];
        }
        if (runCount == 0) {
            runStart = index;
        }
        runBitmaps[runCount] = allocatedBitmap(subclusterMask);
        return runCount;
    }

    /** Stores guest cluster {@code index} as a compressed payload ({@code payload.remaining()} bytes). */
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        checkIndex(index);
        int len = payload.remaining();
        if (len <= 0 || len > clusterSize) {
            throw new IllegalArgumentException("compressed payload must be 1.." + clusterSize + " bytes, got " + len);
        }
        if (externalData) {
            // QEMU: compressed clusters cannot live in an external data file
            throw new UnsupportedFeatureException("error while writing at byte " + (index << clusterBits)
                    + ": Operation not supported");
        }
        if (prealloc != null) {
            throw new UnsupportedFeatureException(file.path() + ": compressed writes into a preallocated image"
                    + " are not supported");
        }
        flushRun();
        ByteBuffer l2 = l2For(index);
        long off = refcounts.allocBytes(len);
        file.writeData(off, payload, index * clusterSize, clusterSize);
        setEntry(l2, index, Entries.compressedEntry(off, len, clusterBits), 0);
        anyCompressed = true;
    }

    /** {@link #writeZero(long, boolean)} continuing the pending run (v2 only). */
    public void writeZero(long index) throws IOException {
        writeZero(index, false);
    }

    /**
     * Marks guest cluster {@code index} as reading zeros (v3 zero flag; all-zero subcluster bitmap with
     * extended L2), hiding the backing file. A v2 image has no zero flag: the cluster is written as zeros,
     * which is what QEMU falls back to, as plain data with {@code startsWrite} as in
     * {@link #writePlain(long, ByteBuffer, int, boolean)}.
     */
    @Override
    public void writeZero(long index, boolean startsWrite) throws IOException {
        if (options.version() < 3) {
            writePlain(index, ByteBuffer.allocate(clusterSize), ALL_SUBCLUSTERS, startsWrite);
            return;
        }
        checkIndex(index);
        if (prealloc != null) {
            long host = prealloc.host(index);
            if (options.extendedL2()) {
                prealloc.patchBitmap(file, l1, index, SUBCLUSTERS_ZERO);
            } else {
                prealloc.patchEntry(file, l1, index, host | COPIED | ZERO);
            }
            return;
        }
        flushRun();
        ByteBuffer l2 = l2For(index);
        if (options.extendedL2()) {
            setEntry(l2, index, 0, SUBCLUSTERS_ZERO);
        } else {
            setEntry(l2, index, ZERO, 0);
        }
    }

    /**
     * The image is written as {@code qemu-img convert -c} writes one: the file end is padded to a whole
     * 512-byte sector at {@link #finish()} even when no cluster ended up compressed, and plain clusters are
     * copied at once instead of borrowed. (That each uncompressed cluster is its own write request is the
     * caller's to say, with {@code startsWrite}.) Call before the first write.
     */
    public void compressedMode() {
        compressedMode = true;
        anyCompressed = true;
    }

    /** Writes the remaining metadata (L2 tables, refcounts, header); durability (fsync) is the caller's. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        flushRun();
        flushL2();
        if (l1.length > 0) {
            ByteBuffer b = ByteBuffer.allocate(l1.length * 8);
            for (long e : l1) {
                b.putLong(e);
            }
            b.flip();
            file.writeQuiet(l1Offset, b);
        }
        refcounts.writeAll();
        ByteBuffer header = WriterHeader.build(options, l1Offset, l1.length, refcounts.tableOffset(),
                refcounts.tableClusters());
        file.writeQuiet(0, header);
        file.finish(anyCompressed);
        if (dataChannel != null) {
            dataChannel.force(true);
        }
        finished = true;
    }

    @Override
    public boolean unwrittenReadsFile() {
        return prealloc != null;
    }

    /**
     * The host byte range preallocation=falloc|full reserved for the data ({@code [0]} start, {@code [1]} end), or
     * null: the caller allocates ({@code falloc}) or zeroes ({@code full}) it before the first data write, as
     * QEMU's file driver does when the image file grows.
     */
    public long[] preallocatedDataArea() {
        return prealloc == null || prealloc.areaEnd() == 0 ? null : new long[] {prealloc.areaStart(),
            prealloc.areaEnd()};
    }

    /**
     * Says that {@code pathForErrors} is the very file the channel writes (not only its name): the file is then
     * grown to its final length as QEMU grows it, leaving the end a hole, instead of by writing its last byte.
     */
    public void growsInPlace() {
        file.realFile(file.path());
    }

    /** The file length after {@link #finish()} (or the current QEMU-visible end before it). */
    public long fileLength() {
        return file.end();
    }

    @Override
    public void close() throws IOException {
        // The image's channel belongs to the caller; an unfinished image is left as is.
        if (dataChannel != null) {
            dataChannel.close();
        }
    }

    private void checkIndex(long index) throws ImageException {
        if (finished) {
            throw new IllegalStateException("image already finished");
        }
        if (index < 0 || index >= clusterCount) {
            throw new ImageException(file.path() + ": guest cluster " + index + " is outside the image ("
                    + clusterCount + " clusters)");
        }
        if (index <= lastIndex) {
            throw new IllegalArgumentException("clusters must arrive in increasing guest order: " + index
                    + " after " + lastIndex);
        }
        lastIndex = index;
    }

    private void flushRun() throws IOException {
        if (runCount == 0) {
            return;
        }
        ByteBuffer l2 = l2For(runStart);
        // an external data file holds each cluster at its guest offset; nothing is allocated for it here
        long host = externalData ? runStart << clusterBits : refcounts.allocClusters((long) runCount * clusterSize);
        long runBytes = (long) runCount * clusterSize;
        long last = runBitmaps[runCount - 1];
        if (options.extendedL2() && last != SUBCLUSTERS_ALLOCATED) {
            // QEMU writes (data plus copy-on-write padding) only the subclusters a request touched: the
            // file ends after the last allocated subcluster when this run is the last thing in it.
            int subcluster = clusterSize / 32;
            int used = 64 - Long.numberOfLeadingZeros(last);
            runBytes = (long) (runCount - 1) * clusterSize + (long) used * subcluster;
        }
        // one write per stretch of clusters that lie back to back in one buffer
        for (int i = 0; i < runCount;) {
            int j = i + 1;
            while (j < runCount && runBase[j] == runBase[i]
                    && runOffset[j] == runOffset[i] + (j - i) * clusterSize) {
                j++;
            }
            long from = (long) i * clusterSize;
            int len = (int) (Math.min(runBytes, (long) j * clusterSize) - from);
            if (externalData) {
                // as QEMU: nothing past the guest end is written into the data file
                len = (int) Math.max(0, Math.min(len, options.virtualSize() - (host + from)));
            }
            data.writeData(host + from, runBase[i].slice(runOffset[i], len), (runStart + i) * clusterSize, 0);
            i = j;
        }
        for (int i = 0; i < runCount; i++) {
            setEntry(l2, runStart + i, (host + ((long) i << clusterBits)) | COPIED, runBitmaps[i]);
            runBase[i] = null;
        }
        runCount = 0;
    }

    /** The L2 table covering index, allocated (after flushing the previous table) when first needed. */
    private ByteBuffer l2For(long index) throws IOException {
        long ti = index / l2Entries;
        if (ti != curL2Index) {
            flushL2();
            long off = refcounts.allocClusters(clusterSize);
            file.noteWrite(off, clusterSize);
            l1[(int) ti] = off | COPIED;
            curL2Index = ti;
            if (curL2 == null) {
                curL2 = ByteBuffer.allocate(clusterSize);
            } else {
                curL2.clear();
                curL2.put(new byte[clusterSize]).clear();
            }
        }
        return curL2;
    }

    private void flushL2() throws IOException {
        if (curL2Index < 0) {
            return;
        }
        long off = l1[(int) curL2Index] & ~COPIED;
        file.writeQuiet(off, curL2.duplicate().clear());
        curL2Index = -1;
    }

    private void setEntry(ByteBuffer l2, long index, long entry, long bitmap) {
        int pos = (int) (index % l2Entries) * l2EntrySize;
        l2.putLong(pos, entry);
        if (l2EntrySize == 16) {
            l2.putLong(pos + 8, bitmap);
        }
    }
}
