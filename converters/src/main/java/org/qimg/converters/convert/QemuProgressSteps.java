package org.qimg.converters.convert;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;

/**
 * The steps {@code qemu-img convert -p} (7.2) counts its progress in, so that a front end can print exactly
 * the percentages qemu-img prints. qemu-img walks the source in the chunks of {@code convert_iteration_sectors}
 * (one block-status run at a time, its end aligned down to the source's cluster size, data runs cut into
 * 2 MiB buffers; for a compressed target one target cluster each, a shorter run counting as a data cluster)
 * twice: first to add up the sectors of the chunks it will copy as data ({@link #allocatedSectors()}), then,
 * while copying, adding each such chunk's sectors to the done count and printing
 * {@code 100 * done / allocated}. Zero runs count only with {@code -S 0}; with a target backing file, runs
 * the source's top layer does not allocate never count.
 *
 * <p>One instance walks once per method: {@link #allocatedSectors()} then {@link #next()} until it returns
 * null; memory stays constant whatever the image size.
 */
public final class QemuProgressSteps {
    /** One chunk of qemu-img's copy loop. */
    public record Step(long endByte, long countedSectors) {
    }

    private static final long SECTOR = 512;
    /** BDRV_REQUEST_MAX_SECTORS: the most one block-status query asks about. */
    private static final long REQUEST_MAX_SECTORS = Integer.MAX_VALUE >> 9;
    /** qemu-img's buf_sectors (IO_BUF_SIZE, 2 MiB). */
    private static final long BUF_SECTORS = QemuRequestPlanner.BUFFER / SECTOR;

    private final ConcatSource source;
    private final List<DiskImage> images;
    private final boolean targetHasBacking;
    private final long totalSectors;
    private final boolean compressed;
    private final long clusterSectors;
    private final boolean sparse;
    private long sector;
    private long nextStatus;
    private ConcatSource.Kind status;

    /**
     * @param sources           the images converted, concatenated in this order
     * @param compressed        {@code -c}
     * @param clusterSize       the target's cluster size in bytes (used with {@code compressed})
     * @param sparse            {@code -S} is not 0 (zero runs are skipped, not copied)
     * @param targetHasBacking  the target gets a backing file ({@code -B}): only the sources' top layers count
     */
    public QemuProgressSteps(List<DiskImage> sources, boolean compressed, int clusterSize, boolean sparse,
            boolean targetHasBacking) {
        this.source = new ConcatSource(sources, targetHasBacking);
        this.images = List.copyOf(sources);
        this.targetHasBacking = targetHasBacking;
        this.totalSectors = (source.size() + SECTOR - 1) / SECTOR;
        this.compressed = compressed;
        this.clusterSectors = Math.max(1, clusterSize / SECTOR);
        this.sparse = sparse;
    }

    /** qemu-img's {@code allocated_sectors}: the sectors its copy loop counts; rewinds the walk. */
    public long allocatedSectors() throws IOException {
        rewind();
        long sum = 0;
        for (Step s = next(); s != null; s = next()) {
            sum += s.countedSectors();
        }
        rewind();
        return sum;
    }

    /** The next chunk of the copy loop in guest order, or null after the last. */
    public Step next() throws IOException {
        if (sector >= totalSectors) {
            return null;
        }
        long n = iterationSectors();
        boolean counted = status == ConcatSource.Kind.DATA || (!sparse && status == ConcatSource.Kind.ZERO);
        sector += n;
        return new Step(Math.min(source.size(), sector * SECTOR), counted ? n : 0);
    }

    private void rewind() {
        sector = 0;
        nextStatus = 0;
        status = null;
    }

    /**
     * Where QEMU's block status of the source at guest offset {@code pos} stops at the latest: a format driver
     * answers up to the end of the mapping table (qcow2 L2 table, QEMU's default L2 slice) that maps the
     * offset, and a range a layer leaves unallocated is asked of its backing file, whose tables end
     * elsewhere; so the nearest table end of every layer consulted.
     */
    private long tableEnd(long pos) throws IOException {
        long start = 0;
        for (DiskImage img : images) {
            long end = start + img.virtualSize();
            if (pos < end) {
                long local = pos - start;
                long limit = end - start;
                DiskImage layer = img;
                while (true) {
                    long span = layer.layout().tableSpan();
                    if (span > 0) {
                        limit = Math.min(limit, (local / span + 1) * span);
                    }
                    Extent e = layer.extentAt(local, Math.min(limit, layer.virtualSize()) - local);
                    if (e.status() != Extent.Status.UNALLOCATED || targetHasBacking) {
                        break;
                    }
                    Optional<DiskImage> below = layer.backing();
                    if (below.isEmpty() || local >= below.get().virtualSize()) {
                        break;
                    }
                    limit = Math.min(limit, local + e.length());
                    layer = below.get();
                }
                return start + limit;
            }
            start = end;
        }
        return Long.MAX_VALUE;
    }

    /** {@code convert_iteration_sectors}: the length of the chunk at {@link #sector}; updates the status. */
    private long iterationSectors() throws IOException {
        long n = Math.min(totalSectors - sector, REQUEST_MAX_SECTORS);
        if (nextStatus <= sector) {
            long pos = sector * SECTOR;
            ConcatSource.Run r = source.requestRunAt(pos, Math.min(tableEnd(pos), Math.min(source.size(), pos + n * SECTOR))
                    - pos);
            n = (r.length() + SECTOR - 1) / SECTOR;
            long align = Math.max(1, source.alignmentAt(pos) / SECTOR);
            long tail = (sector - source.partStart(pos) / SECTOR + n) % align;
            if (n > tail) {
                n -= tail;
            }
            status = r.kind();
            nextStatus = sector + n;
        }
        n = Math.min(n, nextStatus - sector);
        if (status == ConcatSource.Kind.DATA || (!sparse && status == ConcatSource.Kind.ZERO)) {
            n = Math.min(n, compressed ? clusterSectors : BUF_SECTORS); // -c: one cluster per buffer
        }
        if (compressed) {
            if (n < clusterSectors) {
                n = Math.min(clusterSectors, totalSectors - sector);
                status = ConcatSource.Kind.DATA;
            } else {
                n = n / clusterSectors * clusterSectors;
            }
        }
        return n;
    }
}
