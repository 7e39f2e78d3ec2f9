package org.qimg.converters.convert;

import java.io.IOException;

/**
 * Everything qimg imitates of the write requests {@code qemu-img convert} (7.2) makes, so that a qcow2 target
 * allocates its clusters in the same runs (the format's writer only follows the requests it is told:
 * {@code ClusterSink.writePlain(index, data, mask, startsWrite)}). Two modes:
 * <ul>
 * <li>request mode ({@link #next}): an uncompressed target without backing file; the requests themselves,
 * which {@link ChunkProcessor} turns into subcluster masks and {@link ClusterTargetWriter} hands over, holding
 * a cluster two requests share;</li>
 * <li>cluster mode ({@link #startsWrite}): the other cluster targets, written cluster by cluster; whether a
 * cluster starts a new request.</li>
 * </ul>
 *
 * <p>Request mode cuts the guest disk into the copy requests qemu-img convert makes for an uncompressed
 * target without backing file ({@code convert_iteration_sectors}): one block-status run of the source at a time,
 * rounded up to whole sectors and its end aligned down to the source's cluster size where that leaves
 * something; data runs cut into 2 MiB buffers counted from the run's start. Each request becomes one chunk
 * (start and length exactly the request's, not cluster-aligned). Zero runs are {@link ConcatSource.Kind#ZERO}
 * chunks, except with {@code -S 0}, where qemu-img writes them as data and so do we.
 *
 * <p>Which clusters (and extended-L2 subclusters) get allocated depends on where these requests start and end
 * (a zero run at the start of a request is always skipped, shorter runs inside are written), so following
 * them is what makes the output byte-identical to qemu-img's.
 */
final class QemuRequestPlanner {
    /** qemu-img's IO_BUF_SIZE (buf_sectors for a qcow2 target with clusters up to 2 MiB). */
    static final int BUFFER = 2 << 20;
    /** BDRV_REQUEST_MAX_SECTORS in bytes: the most one block-status query asks about. */
    private static final long STATUS_MAX = ((long) Integer.MAX_VALUE >> 9) << 9;

    private final ConcatSource source;
    private final long size;
    private final boolean sparse;
    private long pos;
    private long statusEnd;
    private ConcatSource.Kind status;
    private long seq;

    QemuRequestPlanner(ConcatSource source, boolean sparse) {
        this.source = source;
        this.size = source.size();
        this.sparse = sparse;
    }

    /** The next request in guest order, or null at the end. */
    Chunk next() throws IOException {
        if (pos >= size) {
            return null;
        }
        if (pos >= statusEnd) {
            ConcatSource.Run r = source.requestRunAt(pos, Math.min(size - pos, STATUS_MAX));
            long n = (r.length() + 511) & ~511L;
            long align = source.alignmentAt(pos);
            long tail = (pos - source.partStart(pos) + n) % align;
            if (n > tail) {
                n -= tail;
            }
            statusEnd = Math.min(size, pos + n);
            status = r.kind() == ConcatSource.Kind.ZERO && !sparse ? ConcatSource.Kind.DATA : r.kind();
        }
        long n = statusEnd - pos;
        if (status == ConcatSource.Kind.DATA) {
            n = Math.min(n, BUFFER);
        }
        Chunk c = new Chunk(seq++, pos, n, status);
        pos += n;
        return c;
    }

    /** Slot bytes a request needs: 2 MiB plus the partial clusters at either end. */
    static int slotBytes(int clusterSize) {
        return BUFFER + 2 * clusterSize;
    }

    /**
     * Cluster mode: whether cluster {@code index}, written as data (plain, or zeros a qcow2 v2 image stores as
     * data), starts a new write request, {@code previous} being the last cluster written as data (-1 when
     * none, or when something else was written since). {@code qemu-img convert -c} writes every uncompressed
     * cluster as a request of its own; otherwise requests are the 2 MiB buffers, counted from guest offset 0,
     * which is where a cluster-granular run of data starts them.
     */
    static boolean startsWrite(long index, long previous, int clusterSize, boolean compressed) {
        if (compressed || previous < 0 || previous != index - 1) {
            return true;
        }
        long window = Math.max(1, BUFFER / clusterSize);
        return index / window != previous / window;
    }
}
