package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.qimg.converters.WorkerResult;
import org.qimg.converters.compare.CompareResult;
import org.qimg.format.ClusterSink;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ResizeRequest;
import org.qimg.format.raw.HostTruncate;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLockException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;

/**
 * The convert pipeline. The calling thread plans chunks from metadata (known zeros are never read), hands
 * data chunks to a pool that reads, zero-scans and compresses them, and writes finished chunks strictly in
 * guest order, so the output does not depend on the number of threads. A fixed set of chunk buffers
 * ({@code 2 x threads + 1}) bounds the memory in flight whatever the image size.
 */
public final class Converter {
    private static final int MAX_QUEUED_CHUNKS = 4096;

    private Converter() {
    }

    /**
     * Converts {@code sources} (concatenated) into {@code destination}. Unless {@code -n}, a new target is
     * written to a temporary file beside it ({@link SafeOutput}), verified there if asked, and renamed over the
     * destination only on success; a destination that is a device is written in place instead, and a FIFO or
     * socket refused ({@link DeviceOutput}). Errors while writing name the destination and the offset.
     */
    @SuppressWarnings("try") // locks are held for the block, not used in it
    public static ConvertResult convert(List<DiskImage> sources, Path destination, ConvertOptions options)
            throws IOException {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no source image");
        }
        SameFileGuard.check(sources, destination);
        ConcatSource source = new ConcatSource(sources, options.targetHasBacking)
                .salvaging(options.salvage ? m -> options.notices.accept("warning: " + m) : null);
        if (options.written != null && (StdoutOutput.names(destination) || options.container != null
                || DestinationKind.of(destination).special())) {
            throw new ImageException("qimg copies bitmaps only into an image file, not to a device, standard output"
                    + " or a container");
        }
        if (StdoutOutput.names(destination) && StreamedQcow2.applies(sources, options)) {
            return StreamedQcow2.convert(sources, source, options);
        }
        if (StdoutOutput.names(destination) && options.clusterTarget == null && options.container == null
                && options.verifyFormat == null && !options.noCreate) {
            ConvertResult r = run(source, new RawStreamWriter(StdoutStream.open()), options);
            options.progress.finished();
            return r;
        }
        if (StdoutOutput.names(destination) || options.container != null) {
            return convertViaSpill(sources, source, destination, options);
        }
        if (options.noCreate) {
            // refused before anything opens it: opening a FIFO, even to lock it, blocks until a writer comes
            ImageFormats.requireUpdatable(destination, formatName(options));
            ConvertResult r;
            try (ImageLock held = ImageLock.acquire(destination, targetLock(options))) {
                r = convertInPlace(source, destination, options);
            }
            if (options.written != null) {
                options.written.accept(destination);
            }
            return r;
        }
        DestinationKind kind = DestinationKind.of(destination);
        if (kind.special()) {
            // only a block device is opened (and so locked) before DeviceOutput has judged the node
            ConvertResult r;
            try (ImageLock held = kind == DestinationKind.BLOCK_DEVICE ? lockReplaced(destination, options) : null;
                 DeviceOutput out = DeviceOutput.open(destination, kind, formatName(options), source.size())) {
                r = writeNew(source, out.channel(), destination, out, options);
                out.finish(options.durable);
            }
            if (options.verifyFormat != null) {
                // read back once the device is no longer held for writing (our own lock would refuse the reader)
                verifyWritten(sources, destination, destination, options.verifyFormat, "");
            }
            options.progress.finished();
            return r;
        }
        try (ImageLock held = lockReplaced(destination, options);
             SafeOutput out = SafeOutput.create(destination, options.durable, files(sources))) {
            ConvertResult r;
            try {
                FileChannel ch = NamedChannel.wrap(out.channel(), destination);
                if (options.clusterTarget == null) {
                    setLength(ch, out.tempFile(), destination, source.size(), options.rawPreallocation);
                }
                r = writeNew(source, ch, destination, null, options);
            } catch (IOException e) {
                throw out.failed(e);
            }
            Path written = out.seal();
            if (options.written != null) {
                options.written.accept(written);
            }
            if (options.verifyFormat != null) {
                verifyWritten(sources, written, destination, options.verifyFormat, out.replaces()
                        ? " (the destination was left unchanged)" : " (no file was created)");
            }
            out.commit();
            options.progress.finished();
            return r;
        }
    }

    /**
     * Writes a new target made of {@code sources} (concatenated) into {@code channel}, an empty file that the
     * caller owns and removes if this fails: the scratch file of a package that carries the image (an OVA).
     * Nothing is renamed, locked or verified here; {@code openPath} opens the same file (to size a raw target)
     * and {@code shown} names it in errors. Progress is reported as by {@link #convert}, finished included.
     */
    public static ConvertResult writeInto(List<DiskImage> sources, FileChannel channel, Path openPath, Path shown,
                                          ConvertOptions options) throws IOException {
        if (sources.isEmpty() || options.noCreate) {
            throw new IllegalArgumentException(sources.isEmpty() ? "no source image" : "-n needs an existing target");
        }
        ConcatSource source = new ConcatSource(sources, options.targetHasBacking)
                .salvaging(options.salvage ? m -> options.notices.accept("warning: " + m) : null);
        FileChannel ch = NamedChannel.wrap(channel, shown);
        if (options.clusterTarget == null) {
            setLength(ch, openPath, shown, source.size(), options.rawPreallocation);
        }
        ConvertResult r = writeNew(source, ch, shown, null, options);
        options.progress.finished();
        return r;
    }

    /**
     * DST {@code -}, or a raw target in a compressed container ({@code -o container=}): the new image is written
     * as to a file (same writer, same bytes) into an unnamed temporary file ({@link StdoutOutput}), verified
     * there if asked, then copied — compressed, with a container — to standard output or into DST, which is
     * replaced only when complete ({@link SafeOutput}).
     */
    private static ConvertResult convertViaSpill(List<DiskImage> sources, ConcatSource source, Path destination,
                                                 ConvertOptions options) throws IOException {
        boolean toStdout = StdoutOutput.names(destination);
        if (options.noCreate) {
            throw new ImageException(toStdout ? "-n writes into an existing image; it cannot write to standard "
                    + "output ('-')" : "-o container= makes a new file; it cannot be combined with -n");
        }
        if (options.container != null && options.clusterTarget != null) {
            throw new ImageException("-o container=" + options.container + " wraps a raw image: use it with -O raw");
        }
        try (StdoutOutput spill = StdoutOutput.create()) {
            FileChannel ch = spill.channel();
            if (options.clusterTarget == null && source.size() > 0) {
                // a sparse file of the disk's length: FileChannel grows a file only by writing its last byte
                ch.write(java.nio.ByteBuffer.allocate(1), source.size() - 1);
            }
            ConvertResult r = writeNew(source, ch, destination, null, options);
            if (options.verifyFormat != null) {
                verifyWritten(sources, spill.path(), destination, options.verifyFormat, toStdout
                        ? " (nothing was written to standard output)" : " (the destination was left unchanged)");
            }
            if (toStdout) {
                spill.copyToStdout(options.container, options.threads);
            } else {
                try (ImageLock held = lockReplaced(destination, options);
                     SafeOutput out = SafeOutput.create(destination, options.durable, files(sources))) {
                    try {
                        spill.copyInto(out.channel(), destination, options.container, options.threads);
                    } catch (IOException e) {
                        throw out.failed(e);
                    }
                    out.seal();
                    out.commit();
                }
            }
            options.progress.finished();
            return r;
        }
    }

    /** The name qemu-img's messages give the target format. */
    private static String formatName(ConvertOptions options) {
        return options.formatName;
    }

    /**
     * Writes a new target into {@code ch}: a fresh file of the right length, which reads as zeros where nothing
     * is written (a raw target may leave zero runs as holes), or with {@code device} a block or character
     * device, which holds old bytes (zero runs are written; {@code device.zeroes()} may zero whole pages).
     */
    static ConvertResult writeNew(ConcatSource source, FileChannel ch, Path destination, DeviceOutput device,
                                          ConvertOptions options) throws IOException {
        boolean zeroed = device == null;
        if (options.clusterTarget == null) {
            return run(source, new RawTargetWriter(ch, destination, zeroed && options.sparseSize > 0,
                    zeroed ? null : device.zeroes()), options);
        }
        try (ClusterSink sink = options.clusterTarget.create(ch, destination, source.size())) {
            // preallocated clusters on a device hold its old bytes until written: zero clusters are written too
            boolean zeroFill = !zeroed && sink.unwrittenReadsFile();
            boolean zeroClusters = options.targetHasBacking || options.sparseSize == 0 || zeroFill;
            return run(source, requestMode(options) && !zeroFill
                    ? new ClusterTargetWriter(sink, false, true, false, source.size())
                    : new ClusterTargetWriter(sink, zeroClusters, options.compressed()), options);
        }
    }

    /** Opens an existing in-place destination with named errors; a device keeps its size. */
    private static FileChannel openInPlace(Path destination, StandardOpenOption... modes) throws IOException {
        FileChannel ch = FileChannel.open(destination, modes);
        DestinationKind kind = DestinationKind.of(destination);
        return kind == DestinationKind.BLOCK_DEVICE || kind == DestinationKind.CHAR_DEVICE
                ? NamedChannel.wrapDevice(ch, destination) : NamedChannel.wrap(ch, destination);
    }

    /**
     * An existing DST is refused, before anything is written, when another process holds it as qemu-img's
     * create step refuses it ({@code DST: error while converting qcow2: Failed to get "write" lock}); then it
     * is held with the read-write locks qemu-img holds on its target until the new image has replaced it.
     * Null when there is nothing to lock (no DST yet, or a directory, which SafeOutput refuses).
     */
    private static ImageLock lockReplaced(Path destination, ConvertOptions options) throws ImageException {
        if (!Files.exists(destination) || Files.isDirectory(destination)) {
            return null;
        }
        String format = formatName(options);
        ImageLock lock;
        try {
            lock = ImageLock.acquire(destination, LockPerms.CREATE);
        } catch (ImageLockException e) {
            throw e.withPrefix(destination + ": error while converting " + format + ": ");
        }
        try {
            lock.change(targetLock(options));
        } catch (ImageException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return lock;
    }

    /** The locks qemu-img holds on its target's file: read-write, as its format driver asks them. */
    private static LockPerms targetLock(ConvertOptions options) {
        return options.clusterTarget != null ? LockPerms.WRITE_SHARED.qcow2File(false)
                : LockPerms.WRITE_SHARED.rawFile(false);
    }

    /**
     * {@code --verify} of {@code written}, the complete new image: for a new file its hidden name beside the
     * destination (so that a relative backing file resolves as it will there), before it replaces anything;
     * for a device the device itself, which is never removed. Errors name the destination, then {@code note}.
     */
    private static void verifyWritten(List<DiskImage> sources, Path written, Path destination, String format,
                                      String note) throws IOException {
        CompareResult c;
        try {
            c = TargetVerifier.verify(sources, written, format);
        } catch (IOException e) {
            // e.g. the new file does not open: name DST, not only the hidden file
            throw new ImageException("verify failed: " + destination + ": " + e.getMessage() + note, e);
        }
        if (!c.identical()) {
            throw new ImageException("verify failed: " + destination + ": Content mismatch at offset " + c.offset()
                    + "!" + note);
        }
    }

    /** The files whose data a convert copies: each source and its backing chain. */
    /** The files of {@code sources} and of their backing chains: what a replaced destination must not be. */
    public static List<Path> files(List<DiskImage> sources) {
        List<Path> files = new ArrayList<>();
        for (DiskImage s : sources) {
            for (DiskImage i = s; i != null; i = i.backing().orElse(null)) {
                if (i.path() != null) {
                    files.add(i.path());
                }
            }
        }
        return files;
    }

    private static ConvertResult convertInPlace(ConcatSource source, Path destination, ConvertOptions options)
            throws IOException {
        if (options.clusterTarget != null) {
            return convertIntoCluster(source, destination, options);
        }
        boolean block = DestinationKind.of(destination) == DestinationKind.BLOCK_DEVICE;
        try (FileChannel ch = openInPlace(destination, StandardOpenOption.WRITE);
             DeviceZeroes zeroes = block ? DeviceZeroes.open(destination) : null) {
            if (ch.size() < source.size()) {
                throw new ImageException("output file is smaller than input file");
            }
            ConvertResult r = run(source, new RawTargetWriter(ch, destination,
                    options.targetIsZero && options.sparseSize > 0, zeroes), options);
            // a character device has nothing to flush (fsync on /dev/null fails with EINVAL)
            if (options.durable && DestinationKind.of(destination) != DestinationKind.CHAR_DEVICE) {
                ch.force(true);
            }
            options.progress.finished();
            return r;
        }
    }

    /**
     * {@code -n} into an existing cluster-granular image (qcow2): the factory opens it in place and refuses
     * what it cannot update safely; unless {@code --target-is-zero}, zero clusters are written as zeroes.
     */
    private static ConvertResult convertIntoCluster(ConcatSource source, Path destination, ConvertOptions options)
            throws IOException {
        try (FileChannel ch = openInPlace(destination, StandardOpenOption.READ, StandardOpenOption.WRITE);
             ClusterSink sink = options.clusterTarget.create(ch, destination, source.size())) {
            boolean zeroClusters = !(options.targetIsZero && options.sparseSize > 0);
            ConvertResult r = run(source, new ClusterTargetWriter(sink, zeroClusters, options.compressed()), options);
            options.progress.finished();
            return r;
        }
    }

    /** Sizes a new raw target as qemu-img's file driver creates one (first block written, preallocation). */
    private static void setLength(FileChannel ch, Path file, Path destination, long size,
                                  ResizeRequest.Preallocation prealloc) throws IOException {
        try {
            HostTruncate.truncate(ch, file, size, prealloc);
        } catch (ImageException e) {
            throw new ImageException("'" + destination + "': " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ImageException("'" + destination + "': Could not resize file to " + size + " bytes: "
                    + e.getMessage(), e);
        }
        if (ch.size() != size) {
            throw new ImageException("'" + destination + "': could not set length to " + size);
        }
    }

    static ConvertResult run(ConcatSource source, TargetWriter target, ConvertOptions o) throws IOException {
        int granule = target.granule();
        boolean requests = target.followsQemuRequests();
        int chunk = requests ? QemuRequestPlanner.slotBytes(granule) : Math.max(granule, o.chunkSize / granule * granule);
        // request mode: the writer keeps the previous request's slot until the next one is written
        int slotCount = 2 * o.threads + (requests ? 2 : 1);
        Planner planner = requests ? new QemuRequestPlanner(source, o.sparseSize > 0)::next
                : new ChunkPlanner(source, granule, chunk, o.clusterTarget != null && o.sparseSize == 0,
                        o.copyOffload)::next;
        Deque<Slot> free = new ArrayDeque<>();
        for (int i = 0; i < slotCount; i++) {
            free.add(new Slot(chunk, granule, o.compressed()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(o.threads, new Workers());
        long total = source.size();
        long read = 0;
        int maxUsed = 0;
        o.progress.started(total);
        // copy offloading (-C) copies what the source reports as data as it is, zeros included
        try (ChunkProcessor processor = new ChunkProcessor(source, o.clusterTarget != null, granule,
                o.copyOffload ? 0 : o.sparseSize, o.compressors, o.policy, requests)) {
            try {
                Deque<Pending> inflight = new ArrayDeque<>();
                Chunk next = planner.next();
                while (next != null || !inflight.isEmpty()) {
                    while (next != null && inflight.size() < MAX_QUEUED_CHUNKS) {
                        if (next.kind() == ConcatSource.Kind.DATA) {
                            Slot slot = free.poll();
                            if (slot == null) {
                                break;
                            }
                            maxUsed = Math.max(maxUsed, slotCount - free.size());
                            Chunk c = next;
                            inflight.add(new Pending(c, pool.submit(() -> work(processor, target, c, slot))));
                            read += c.length();
                        } else {
                            inflight.add(new Pending(next, null));
                        }
                        next = planner.next();
                    }
                    Pending head = inflight.poll();
                    Slot done = head.result == null ? null : await(head.result);
                    Slot reusable = done;
                    if (done == null || !target.writesAnyOrder()) {
                        reusable = target.write(head.chunk, done);
                    }
                    if (reusable != null) {
                        free.add(reusable);
                    }
                    o.progress.progress(head.chunk.end(), total);
                }
                target.finish();
            } finally {
                pool.shutdownNow();
                awaitQuietly(pool);
            }
        }
        return new ConvertResult(total, read, slotCount, chunk, maxUsed);
    }

    /**
     * Plain (uncompressed) cluster targets without a backing file follow qemu-img's write requests exactly,
     * so that which clusters and subclusters get allocated matches qemu-img byte for byte.
     */
    private static boolean requestMode(ConvertOptions o) {
        return o.clusterTarget != null && !o.compressed() && !o.targetHasBacking && !o.noCreate;
    }

    @FunctionalInterface
    private interface Planner {
        Chunk next() throws IOException;
    }

    /** A worker's job: process the chunk, and write it too when the target takes chunks in any order. */
    private static Slot work(ChunkProcessor processor, TargetWriter target, Chunk c, Slot slot) throws IOException {
        processor.process(c, slot);
        if (target.writesAnyOrder()) {
            target.write(c, slot);
        }
        return slot;
    }

    private record Pending(Chunk chunk, Future<Slot> result) {
    }

    /** Waits for a worker's result; its exception is rethrown as thrown in the worker. */
    private static Slot await(Future<Slot> f) throws IOException {
        return WorkerResult.get(f, "conversion");
    }

    private static void awaitQuietly(ExecutorService pool) {
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("convert workers did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Workers implements ThreadFactory {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "qimg-convert-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
