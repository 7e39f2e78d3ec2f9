package org.qimg.converters.convert;

import java.io.IOException;

/**
 * Cuts the guest disk into chunks from metadata alone: known-zero (or, with a target backing file,
 * unallocated) ranges of whole granules become one chunk each and are never read; data is cut at
 * chunk-size boundaries. Small holes between data runs are read with the data rather than split off.
 * With {@code readZeros}, known-zero ranges are read as data too: with {@code -S 0} qemu-img writes them as data
 * (compressed with {@code -c}, allocated clusters of zeros otherwise).
 */
final class ChunkPlanner {
    /** Holes shorter than this inside a chunk window are read along with the data around them. */
    private static final long MIN_SPLIT_HOLE = 64 * 1024;

    private final ConcatSource source;
    private final long size;
    private final int granule;
    private final int chunkSize;
    private final boolean readZeros;
    /** Data runs exactly as the source reports them (copy offloading, -C): no hole is read along with data. */
    private final boolean exactRuns;
    private long pos;
    private long seq;

    ChunkPlanner(ConcatSource source, int granule, int chunkSize, boolean readZeros) {
        this(source, granule, chunkSize, readZeros, false);
    }

    ChunkPlanner(ConcatSource source, int granule, int chunkSize, boolean readZeros, boolean exactRuns) {
        this.readZeros = readZeros;
        this.exactRuns = exactRuns;
        this.source = source;
        this.size = source.size();
        this.granule = granule;
        this.chunkSize = chunkSize;
    }

    /** The next chunk in guest order, or null at the end. */
    Chunk next() throws IOException {
        if (pos >= size) {
            return null;
        }
        ConcatSource.Run r = run(pos);
        if (r.kind() != ConcatSource.Kind.DATA) {
            long end = pos + r.length();
            // merge following runs of the same kind so a large hole is one chunk
            while (end < size) {
                ConcatSource.Run n = run(end);
                if (n.kind() != r.kind()) {
                    break;
                }
                end += n.length();
            }
            if (end < size) {
                end = end / granule * granule;
            }
            if (end > pos) {
                return emit(end, r.kind());
            }
        }
        long window = Math.min(size, (pos / chunkSize + 1) * chunkSize);
        long end = alignUp(pos + (r.kind() == ConcatSource.Kind.DATA ? r.length() : 1), window);
        while (end < window) {
            ConcatSource.Run n = run(end);
            if (n.kind() != ConcatSource.Kind.DATA
                    && (exactRuns || n.length() >= Math.min(MIN_SPLIT_HOLE, window - end))) {
                break;
            }
            end = alignUp(end + n.length(), window);
        }
        return emit(end, ConcatSource.Kind.DATA);
    }

    private ConcatSource.Run run(long at) throws IOException {
        ConcatSource.Run r = source.runAt(at, size - at);
        return readZeros && r.kind() == ConcatSource.Kind.ZERO ? new ConcatSource.Run(r.length(), ConcatSource.Kind.DATA) : r;
    }

    private long alignUp(long v, long cap) {
        long a = (v + granule - 1) / granule * granule;
        return Math.min(a, cap);
    }

    private Chunk emit(long end, ConcatSource.Kind kind) {
        Chunk c = new Chunk(seq++, pos, end - pos, kind);
        pos = end;
        return c;
    }
}
