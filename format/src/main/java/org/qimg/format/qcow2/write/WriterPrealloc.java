package org.qimg.format.qcow2.write;

import static org.qimg.format.qcow2.layout.Entries.COPIED;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.ImageLimitException;

/**
 * {@code preallocation=metadata} of a new image as QCOW2's {@code preallocate_co}: per L2 table, the table, then
 * (with the data in the image file) its data clusters, as large allocations as QEMU makes them; every L2 entry
 * maps its cluster. With an external data file the data clusters are not allocated in the image file: each
 * maps to its own guest offset in the data file.
 */
final class WriterPrealloc {
    /** QEMU's BDRV_REQUEST_MAX_BYTES: the largest allocation preallocate_co asks for. */
    static final long REQUEST_MAX_BYTES = ((long) Integer.MAX_VALUE >> 9) << 9;

    private final Qcow2CreateOptions options;
    private final int clusterBits;
    private final int l2Entries;
    private final int l2EntrySize;
    private final long clusterCount;
    /** Host offset of the first data cluster of each L2 table's range (image file only). */
    private final long[] firstData;
    private final boolean external;
    private long areaStart;
    private long areaEnd;

    private WriterPrealloc(Qcow2CreateOptions options, long clusterCount, int l1Size, boolean external) {
        this.options = options;
        this.clusterBits = options.clusterBits();
        this.l2EntrySize = options.l2EntrySize();
        this.l2Entries = options.clusterSize() / l2EntrySize;
        this.clusterCount = clusterCount;
        this.firstData = new long[l1Size];
        this.external = external;
    }

    /** Allocates every L2 table (entries into {@code l1}) and, unless {@code external}, every data cluster. */
    static WriterPrealloc run(Qcow2CreateOptions options, WriterFile file, WriterRefcounts refcounts, long[] l1,
                              long clusterCount, boolean external) throws IOException {
        WriterPrealloc p = new WriterPrealloc(options, clusterCount, l1.length, external);
        p.allocate(file, refcounts, l1);
        return p;
    }

    private void allocate(WriterFile file, WriterRefcounts refcounts, long[] l1) throws IOException {
        int clusterSize = options.clusterSize();
        long maxChunk = REQUEST_MAX_BYTES >> clusterBits;
        long lastHost = 0;
        long lastBytes = 0;
        for (int ti = 0; ti < l1.length; ti++) {
            long l2Off = refcounts.allocClusters(clusterSize);
            file.noteWrite(l2Off, clusterSize);
            l1[ti] = l2Off | COPIED;
            long first = (long) ti * l2Entries;
            long n = Math.min(l2Entries, clusterCount - first);
            ByteBuffer l2 = ByteBuffer.allocate(clusterSize);
            for (long done = 0; done < n;) {
                long chunk = Math.min(maxChunk, n - done);
                long host = external ? (first + done) << clusterBits : refcounts.allocClusters(chunk << clusterBits);
                if (done == 0) {
                    firstData[ti] = host;
                } else if (host != firstData[ti] + (done << clusterBits)) {
                    throw new ImageLimitException(file.path() + ": preallocation of this image size is not"
                            + " supported (data of one L2 table would not be contiguous)");
                }
                for (long i = 0; i < chunk; i++) {
                    l2.putLong((int) ((done + i) * l2EntrySize), (host + (i << clusterBits)) | COPIED);
                }
                lastHost = host;
                // QEMU extends the file to the end of the last allocation: whole clusters, or with extended L2
                // whole subclusters (up to the one holding the guest end)
                lastBytes = chunk << clusterBits;
                if (options.extendedL2() && first + done + chunk == clusterCount) {
                    long sub = clusterSize / 32;
                    long toEnd = options.virtualSize() - ((first + done) << clusterBits);
                    lastBytes = Math.min(lastBytes, (toEnd + sub - 1) / sub * sub);
                }
                done += chunk;
            }
            file.write(l2Off, l2);
        }
        if (lastHost != 0 && !external) {
            file.noteWrite(lastHost, lastBytes);
        }
    }

    /**
     * preallocation=falloc|full in the image file, as {@code qcow2_co_truncate} lays it out: after the L1 table a
     * new refcount table (and blocks) sized for the whole image, then the data area, every cluster in guest order;
     * then the L2 tables, each at the first free cluster (the first one where the old refcount table was).
     * The data area is {@link #areaStart()} to {@link #areaEnd()}: the caller allocates or zeroes it.
     */
    static WriterPrealloc runArea(Qcow2CreateOptions options, WriterFile file, WriterRefcounts refcounts, long[] l1,
                                  long l1Offset, long clusterCount) throws IOException {
        WriterPrealloc p = new WriterPrealloc(options, clusterCount, l1.length, false);
        int clusterSize = options.clusterSize();
        long l1End = l1.length == 0 ? 3L * clusterSize : l1Offset + l1.length * 8L;
        long start = (l1End + clusterSize - 1) / clusterSize * clusterSize;
        long l2Tables = (clusterCount + p.l2Entries - 1) / p.l2Entries + 1;
        long dataStart = refcounts.preallocArea(start, clusterCount + l2Tables);
        long dataBytes = clusterCount << p.clusterBits;
        refcounts.allocAt(dataStart, dataBytes);
        file.noteWrite(dataStart, dataBytes);
        p.areaStart = dataStart;
        p.areaEnd = dataStart + dataBytes;
        for (int ti = 0; ti < l1.length; ti++) {
            long first = (long) ti * p.l2Entries;
            p.firstData[ti] = dataStart + (first << p.clusterBits);
            long l2Off = refcounts.allocClusters(clusterSize);
            file.noteWrite(l2Off, clusterSize);
            l1[ti] = l2Off | COPIED;
            long n = Math.min(p.l2Entries, clusterCount - first);
            ByteBuffer l2 = ByteBuffer.allocate(clusterSize);
            for (long i = 0; i < n; i++) {
                l2.putLong((int) (i * p.l2EntrySize), (p.firstData[ti] + (i << p.clusterBits)) | COPIED);
            }
            file.write(l2Off, l2);
        }
        return p;
    }

    /** Start of the data area {@link #runArea} preallocated (0 for metadata preallocation). */
    long areaStart() {
        return areaStart;
    }

    /** End of the data area {@link #runArea} preallocated. */
    long areaEnd() {
        return areaEnd;
    }

    /** Where guest cluster {@code index} is stored (image file, or data file at its guest offset). */
    long host(long index) {
        if (external) {
            return index << clusterBits;
        }
        long ti = index / l2Entries;
        return firstData[(int) ti] + ((index - ti * l2Entries) << clusterBits);
    }

    /** Rewrites the L2 entry of {@code index} (the tables are already on disk). */
    void patchEntry(WriterFile file, long[] l1, long index, long entry) throws IOException {
        file.writeQuiet(entryPos(l1, index), ByteBuffer.allocate(8).putLong(0, entry));
    }

    /** Rewrites the extended L2 bitmap of {@code index}. */
    void patchBitmap(WriterFile file, long[] l1, long index, long bitmap) throws IOException {
        file.writeQuiet(entryPos(l1, index) + 8, ByteBuffer.allocate(8).putLong(0, bitmap));
    }

    private long entryPos(long[] l1, long index) {
        long ti = index / l2Entries;
        return (l1[(int) ti] & ~COPIED) + (index % l2Entries) * l2EntrySize;
    }
}
