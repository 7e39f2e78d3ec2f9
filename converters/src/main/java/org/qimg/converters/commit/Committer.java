package org.qimg.converters.commit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.qimg.converters.ProgressListener;
import org.qimg.converters.chain.BlockStatus;
import org.qimg.converters.chain.ChainWalker;
import org.qimg.converters.rebase.ImageOpenErrors;
import org.qimg.format.ClusterSink;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.ResizeRequest;
import org.qimg.format.TargetImage;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;

/**
 * {@code qemu-img commit} (7.2's {@code img_commit}, which runs QEMU's active commit job):
 *
 * <ol>
 *   <li>the image is opened with its backing chain; the base is its backing file, or with {@code -b} the image
 *   of the chain that name designates (resolved against each image's directory and compared by real path, as
 *   {@code bdrv_find_backing_image}): "Did not find ..." otherwise;</li>
 *   <li>a base smaller than the image is grown to the image's size (the job's {@code blk_truncate});</li>
 *   <li>every range allocated in the image or in an image between it and the base (data or zero flag; not
 *   past the end of an intermediate image) is written into the base with the content the image shows there,
 *   whole base clusters at a time (the rest of a cluster keeps the base's own content);</li>
 *   <li>unless {@code -d} (implied by {@code -b}), the image is emptied ({@link ImageFormat#makeEmpty}); a
 *   format that cannot is left as it is, as qemu-img does.</li>
 * </ol>
 */
public final class Committer {
    /** The granularity of the copy for a base without clusters (raw): QEMU's default mirror granularity. */
    static final int RAW_CHUNK = 64 << 10;
    /** The guest range whose dirty ranges are listed at a time: a multiple of every qcow2 cluster size. */
    static final long WINDOW = 64L << 20;

    /**
     * What to do.
     *
     * @param format {@code -f}, or null to probe
     * @param base   {@code -b}, or null for the image's backing file
     * @param drop   {@code -d}: leave the image as it is after the commit
     * @param rate   {@code -r}: the most bytes of data copied per second ({@link RateLimit}), 0 for no limit
     */
    public record Request(Path file, String format, String base, boolean drop, long rate) {
        /** A request without rate limit. */
        public Request(Path file, String format, String base, boolean drop) {
            this(file, format, base, drop, 0);
        }
    }

    private final ProgressListener progress;
    private final Runnable opened;
    /** Bytes of image data read at a time for whole clusters. */
    static final int RUN = 1 << 20;
    /** Threads and chunks in flight of the {@link ReadAhead} (QEMU's job: up to 16 requests of 1 MiB). */
    static final int READ_THREADS = 4;
    static final int READ_DEPTH = 16;
    private ReadAhead ahead;
    /** The buffer of {@link #wholeClusters}. */
    private ByteBuffer run;
    /** Bytes of dirty ranges committed so far. */
    private long done;
    private RateLimit limit = new RateLimit(0);

    /**
     * @param progress told of the bytes committed
     * @param opened   run once the image is open, before anything else can fail (qemu-img prints its 0% line
     *                 there)
     */
    public Committer(ProgressListener progress, Runnable opened) {
        this.progress = progress;
        this.opened = opened;
    }

    /** Commits as {@code r} says. */
    public void commit(Request r) throws IOException {
        limit = new RateLimit(r.rate());
        // images are read with every permission shared: the write locks are this process's own
        OpenOptions read = OpenOptions.DEFAULT.forceShare(true);
        Path basePath;
        String baseFormat;
        long baseSize;
        long topSize;
        String topFormat;
        DiskImage opened1;
        try {
            opened1 = ImageFormats.open(r.file(), r.format(), read);
        } catch (IOException e) {
            throw ImageOpenErrors.wrap(r.file(), e);
        }
        try (DiskImage top = opened1; ImageLock lock = ImageLock.acquire(r.file(), writeLock(top.formatName()))) {
            opened.run();
            int depth = baseDepth(top, r);
            DiskImage base = layer(top, depth);
            basePath = base.path();
            baseFormat = base.formatName();
            baseSize = base.virtualSize();
            topSize = top.virtualSize();
            topFormat = top.formatName();
        }
        ImageFormat baseFmt = ImageFormats.byName(baseFormat);
        if (baseSize < topSize) {
            ImageFormats.writable(baseFormat).resize(basePath,
                    new ResizeRequest(topSize, ResizeRequest.Preallocation.OFF, false, false));
        }
        DiskImage opened2 = ImageFormats.open(r.file(), r.format(), read);
        try (DiskImage top = opened2; ImageLock lock = ImageLock.acquire(r.file(), writeLock(topFormat))) {
            int depth = baseDepth(top, r);
            copy(top, layer(top, depth), depth, baseFmt);
        }
        if (!r.drop()) {
            try {
                ImageFormats.byName(topFormat).makeEmpty(r.file(), false);
            } catch (UnsupportedFeatureException e) {
                // qemu-img ignores ENOTSUP from bdrv_make_empty: the image keeps its data
            }
        }
        progress.finished();
    }

    /** The locks qemu-img holds on an image it opens read-write: as its format driver asks them. */
    private static LockPerms writeLock(String format) {
        return "raw".equals(format) ? LockPerms.WRITE_SHARED.rawFile(false) : LockPerms.WRITE_SHARED.qcow2File(false);
    }

    /** The depth of the base in {@code top}'s chain (1 = its backing file). */
    private static int baseDepth(DiskImage top, Request r) throws IOException {
        if (r.base() == null) {
            if (top.backing().isEmpty()) {
                throw new ImageException("Image does not have a backing file");
            }
            return 1;
        }
        int depth = 0;
        for (DiskImage layer = top; layer.backing().isPresent(); layer = layer.backing().get()) {
            depth++;
            DiskImage below = layer.backing().get();
            Path candidate = resolve(layer.path(), r.base());
            if (Files.exists(candidate) && Files.exists(below.path())
                    && candidate.toRealPath().equals(below.path().toRealPath())) {
                return depth;
            }
        }
        throw new ImageException("Did not find '" + r.base() + "' in the backing chain of '" + r.file() + "'");
    }

    private static Path resolve(Path image, String name) {
        Path n = Path.of(name);
        Path dir = image.getParent();
        return n.isAbsolute() || dir == null ? n : dir.resolve(n);
    }

    private static DiskImage layer(DiskImage top, int depth) {
        DiskImage d = top;
        for (int i = 0; i < depth; i++) {
            d = d.backing().orElseThrow();
        }
        return d;
    }

    /**
     * The ranges of [0, size) allocated above the base, in order: {start, end, 1 when the range reads as zeros
     * by its metadata (a zero cluster) else 0}.
     */
    private static List<long[]> dirtyRanges(DiskImage top, int baseDepth, long from, long to) throws IOException {
        List<long[]> ranges = new ArrayList<>();
        for (long off = from; off < to; ) {
            BlockStatus s = ChainWalker.statusAt(top, off, to - off, baseDepth - 1);
            if (s.present() && s.depth() < baseDepth) {
                long zero = s.knownZero() ? 1 : 0;
                long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
                if (last != null && last[1] == off && last[2] == zero) {
                    last[1] = s.end();
                } else {
                    ranges.add(new long[] {off, s.end(), zero});
                }
            }
            off = s.end();
        }
        return ranges;
    }

    /** Bytes of [0, size) allocated above the base (metadata only; nothing is kept). */
    private static long dirtyBytes(DiskImage top, int baseDepth, long size) throws IOException {
        long total = 0;
        for (long off = 0; off < size; ) {
            BlockStatus s = ChainWalker.statusAt(top, off, size - off, baseDepth - 1);
            if (s.present() && s.depth() < baseDepth) {
                total += s.length();
            }
            off = s.end();
        }
        return total;
    }

    private void copy(DiskImage top, DiskImage base, int baseDepth, ImageFormat baseFmt) throws IOException {
        long size = Math.min(top.virtualSize(), base.virtualSize());
        long total = dirtyBytes(top, baseDepth, size);
        progress.started(total);
        if (total == 0) {
            progress.progress(0, 0);
            return;
        }
        Path path = base.path();
        done = 0;
        try (ImageLock lock = ImageLock.acquire(path, writeLock(base.formatName()))) {
            // a window at a time, so that the ranges held stay few; windows end on cluster boundaries
            if ("raw".equals(base.formatName())) {
                try (FileChannel ch = NamedChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    for (long w = 0; w < size; w += WINDOW) {
                        copyRaw(top, dirtyRanges(top, baseDepth, w, Math.min(size, w + WINDOW)), ch, total);
                    }
                    ch.force(false);
                }
            } else {
                TargetImage target = guestTarget(baseFmt, path);
                try (FileChannel ch = NamedChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                     ClusterSink sink = target.start(ch, path, base.virtualSize());
                     ReadAhead ahead = new ReadAhead(top, READ_THREADS, READ_DEPTH,
                             Math.max(RUN, sink.clusterSize()))) {
                    this.ahead = ahead;
                    for (long w = 0; w < size; w += WINDOW) {
                        List<long[]> dirty = dirtyRanges(top, baseDepth, w, Math.min(size, w + WINDOW));
                        if (!dirty.isEmpty()) {
                            ahead.plan(dirty, sink.clusterSize(), base.virtualSize());
                            copyClusters(top, base, dirty, sink, total);
                            ahead.drop();
                        }
                    }
                    sink.finish();
                } finally {
                    this.ahead = null;
                }
            }
        }
    }

    /** The base opened for guest writes; a format qimg cannot write in place is named in the message. */
    private static TargetImage guestTarget(ImageFormat format, Path path) throws IOException {
        try {
            return format.openForGuestWrites(path, false);
        } catch (UnsupportedFeatureException e) {
            if (!"Operation not supported".equals(e.getMessage())) {
                throw e;
            }
            throw new UnsupportedFeatureException(path + ": qimg does not write into existing " + format.name()
                    + " images (qemu-img commit does); convert the chain into a new image instead");
        }
    }

    private void copyRaw(DiskImage top, List<long[]> dirty, FileChannel ch, long total) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(RAW_CHUNK);
        for (long[] d : dirty) {
            for (long off = d[0]; off < d[1]; ) {
                int n = (int) Math.min(RAW_CHUNK, d[1] - off);
                buf.clear().limit(n);
                top.read(off, buf);
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf, off + buf.position());
                }
                off += n;
                done += n;
                limit.account(n);
                progress.progress(done, total);
            }
        }
    }

    /**
     * Each base cluster that a dirty range touches gets the image's content over the dirty parts and keeps the
     * base's own elsewhere; a cluster whose dirty parts are zero clusters and that then reads all zeros is
     * written as a zero cluster (unmapped), any other as data.
     */
    private void copyClusters(DiskImage top, DiskImage base, List<long[]> dirty, ClusterSink sink, long total)
            throws IOException {
        int cs = sink.clusterSize();
        ByteBuffer cluster = ByteBuffer.allocateDirect(cs);
        long baseSize = base.virtualSize();
        int i = 0;
        while (i < dirty.size()) {
            long index = dirty.get(i)[0] / cs;
            long start = index * cs;
            long end = Math.min(start + cs, baseSize);
            long[] d = dirty.get(i);
            if (d[0] == start && d[1] >= start + cs && start + cs <= baseSize) {
                // whole clusters of one range: zeros by metadata need no read; data is read a run at a time
                long n = (Math.min(d[1], baseSize) - start) / cs;
                if (d[2] == 1) {
                    for (long k = 0; k < n; k++) {
                        sink.writeZeroUnmap(index + k);
                        done += cs;
                        progress.progress(done, total);
                    }
                } else {
                    wholeClusters(top, sink, index, n, total);
                }
                d[0] = start + n * cs;
                if (d[0] >= d[1]) {
                    i++;
                }
                continue;
            }
            cluster.clear();
            boolean whole = dirty.get(i)[0] <= start && dirty.get(i)[1] >= end;
            if (!whole) {
                cluster.limit((int) (end - start));
                base.read(start, cluster);
            }
            // the image's content over each dirty range in this cluster
            boolean zeroRanges = true;
            int j = i;
            while (j < dirty.size() && dirty.get(j)[0] < end) {
                zeroRanges &= dirty.get(j)[2] == 1;
                long from = Math.max(dirty.get(j)[0], start);
                long to = Math.min(dirty.get(j)[1], end);
                ByteBuffer part = cluster.duplicate().clear().position((int) (from - start)).limit((int) (to - start));
                top.read(from, part);
                done += to - from;
                if (dirty.get(j)[1] > end) {
                    break;
                }
                j++;
            }
            cluster.clear();
            for (int k = (int) (end - start); k < cs; k++) {
                cluster.put(k, (byte) 0);
            }
            if (zeroRanges && allZero(cluster)) {
                // QEMU's job writes zeros where the image has zero clusters, letting the base unmap them
                sink.writeZeroUnmap(index);
            } else {
                sink.writePlain(index, cluster.duplicate());
                limit.account(cs);
            }
            progress.progress(done, total);
            // ranges that end in this cluster are done; one that goes on continues in the next cluster
            while (i < dirty.size() && dirty.get(i)[1] <= end) {
                i++;
            }
            if (i < dirty.size() && dirty.get(i)[0] < end) {
                dirty.get(i)[0] = end;
            }
        }
    }

    /**
     * Copies the {@code n} whole clusters from {@code index}, all of them data in the image: read
     * {@link #RUN} bytes at a time (as QEMU's job copies up to 1 MiB per request), written a cluster at a time.
     */
    private void wholeClusters(DiskImage top, ClusterSink sink, long index, long n, long total) throws IOException {
        int cs = sink.clusterSize();
        int per = Math.max(1, RUN / cs);
        if (run == null || run.capacity() < per * cs) {
            run = ByteBuffer.allocateDirect(per * cs);
        }
        for (long k = 0; k < n; ) {
            int m = (int) Math.min(per, n - k);
            ByteBuffer b = ahead == null ? null : ahead.take((index + k) * cs, m * cs);
            if (b == null) {
                b = run;
                b.clear().limit(m * cs);
                top.read((index + k) * cs, b);
            }
            for (int c = 0; c < m; c++) {
                sink.writePlain(index + k + c, b.duplicate().clear().position(c * cs).limit((c + 1) * cs));
                limit.account(cs);
                done += cs;
            }
            if (b != run) {
                ahead.give(b);
            }
            progress.progress(done, total);
            k += m;
        }
    }

    private static boolean allZero(ByteBuffer b) {
        ByteBuffer zeros = ByteBuffer.allocate(b.limit());
        return b.duplicate().clear().mismatch(zeros) < 0;
    }
}
