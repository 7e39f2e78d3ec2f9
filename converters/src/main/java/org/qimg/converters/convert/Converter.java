package org.qimg.converters.convert;

import org.qimg.format.ClusterSink;
import java.io.IOException;
import java.io.RandomAccessFile;
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
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;

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
     * Converts {@code sources} (concatenated) into {@code destination}. Unless {@code -n}, the target is
     * written to a temporary file beside it ({@link SafeOutput}), verified there if asked, and renamed over
     * the destination only on success.
     */
    public static ConvertResult convert(List<DiskImage> sources, Path destination, ConvertOptions options)
            throws IOException {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no source image");
        }
        SameFileGuard.check(sources, destination);
        ConcatSource source = new ConcatSource(sources, options.targetHasBacking);
        if (options.noCreate) {
            return convertInPlace(source, destination, options);
        }
        try (SafeOutput out = SafeOutput.create(destination, options.durable, files(sources))) {
            ConvertResult r;
            try {
                if (options.clusterTarget != null) {
                    try (ClusterSink sink = options.clusterTarget.create(out.channel(), destination, source.size())) {
                        boolean zeroClusters = options.targetHasBacking || options.sparseSize == 0;
                        r = run(source, requestMode(options)
                                ? new ClusterTargetWriter(sink, false, true, source.size())
                                : new ClusterTargetWriter(sink, zeroClusters), options);
                    }
                } else {
                    setLength(out.channel(), out.tempFile(), source.size());
                    r = run(source, new RawTargetWriter(out.channel(), destination, options.sparseSize > 0), options);
                }
            } catch (IOException e) {
                throw out.failed(e);
            }
            Path written = out.seal();
            if (options.verifyFormat != null) {
                verifyBeforeRename(sources, written, destination, out.replaces(), options.verifyFormat);
            }
            out.commit();
            options.progress.finished();
            return r;
        }
    }

    /**
     * {@code --verify} on the complete new file, through its hidden name beside the destination (so that a
     * relative backing file resolves as it will there), before it replaces anything.
     */
    private static void verifyBeforeRename(List<DiskImage> sources, Path written, Path destination, boolean replaces,
                                           String format) throws IOException {
        String unchanged = " (" + (replaces ? "the destination was left unchanged" : "no file was created") + ")";
        CompareResult c;
        try {
            c = TargetVerifier.verify(sources, written, format, false);
        } catch (IOException e) {
            // e.g. the new file does not open: name DST, not only the hidden file
            throw new ImageException("verify failed: " + destination + ": " + e.getMessage() + unchanged, e);
        }
        if (!c.identical()) {
            throw new ImageException("verify failed: " + destination + ": Content mismatch at offset " + c.offset()
                    + "!" + unchanged);
        }
    }

    /** The files whose data a convert copies: each source and its backing chain. */
    private static List<Path> files(List<DiskImage> sources) {
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
        if (!Files.exists(destination)) {
            throw new ImageException("Could not open '" + destination + "': No such file or directory");
        }
        if (options.clusterTarget != null) {
            return convertIntoCluster(source, destination, options);
        }
        try (FileChannel ch = FileChannel.open(destination, StandardOpenOption.WRITE)) {
            long have = ch.size();
            if (Files.isRegularFile(destination) && have < source.size()) {
                throw new ImageException(destination + ": target is smaller than the source (" + have + " < "
                        + source.size() + " bytes)");
            }
            ConvertResult r = run(source, new RawTargetWriter(ch, destination,
                    options.targetIsZero && options.sparseSize > 0), options);
            if (options.durable) {
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
        try (FileChannel ch = FileChannel.open(destination, StandardOpenOption.READ, StandardOpenOption.WRITE);
             ClusterSink sink = options.clusterTarget.create(ch, destination, source.size())) {
            boolean zeroClusters = !(options.targetIsZero && options.sparseSize > 0);
            ConvertResult r = run(source, new ClusterTargetWriter(sink, zeroClusters), options);
            options.progress.finished();
            return r;
        }
    }

    private static void setLength(FileChannel ch, Path file, long size) throws IOException {
        // FileChannel cannot grow a file without writing; RandomAccessFile.setLength extends sparsely.
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        if (ch.size() != size) {
            throw new ImageException(file + ": could not set length to " + size);
        }
    }

    static ConvertResult run(ConcatSource source, TargetWriter target, ConvertOptions o) throws IOException {
        int granule = target.granule();
        boolean requests = requestMode(o);
        int chunk = requests ? QemuRequestPlanner.slotBytes(granule) : Math.max(granule, o.chunkSize / granule * granule);
        // request mode: the writer keeps the previous request's slot until the next one is written
        int slotCount = 2 * o.threads + (requests ? 2 : 1);
        Planner planner = requests ? new QemuRequestPlanner(source, o.sparseSize > 0)::next
                : new ChunkPlanner(source, granule, chunk, o.clusterTarget != null && o.sparseSize == 0)::next;
        Deque<Slot> free = new ArrayDeque<>();
        for (int i = 0; i < slotCount; i++) {
            free.add(new Slot(chunk, granule, o.compressed()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(o.threads, new Workers());
        long total = source.size();
        long read = 0;
        int maxUsed = 0;
        o.progress.started(total);
        try (ChunkProcessor processor = new ChunkProcessor(source, o.clusterTarget != null, granule,
                o.sparseSize, o.compressors, o.policy, requests)) {
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
