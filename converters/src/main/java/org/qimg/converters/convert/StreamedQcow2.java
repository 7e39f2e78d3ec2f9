package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.qimg.converters.ProgressListener;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.container.ContainerImage;

/**
 * {@code convert -O qcow2 [-c] SRC -}: the new image goes to standard output without a temporary copy, in two
 * passes over the source.
 * <ol>
 * <li>Plan: the pipeline runs exactly as for a file (same planner, zero detection, compression on every core,
 * same writer, so the same allocation), into a {@link PlanChannel} that drops the guest data and keeps the
 * image's metadata in memory ({@link MetadataPages}). At the end every byte of the file is known except the
 * data, and so is the file's length. Nothing has been written to standard output yet: a source that cannot be
 * read fails here.</li>
 * <li>Emit: the pipeline runs again (the source read, and with {@code -c} compressed, a second time) into an
 * {@link EmitChannel}. The writer makes the same writes in the same order; its data writes come in increasing
 * file offset, so each is sent to standard output when it comes, after the metadata and zeros before it. The
 * few that land behind earlier data (listed by the first pass, {@link BehindWrites}: compressed payloads packed
 * into an older cluster) are made again from the source when the stream reaches their place. The result is byte
 * for byte the file qimg writes with the same options.</li>
 * </ol>
 * Both passes keep a digest of the writes ({@link WriteLog}); if they differ (the source changed in between),
 * the convert fails. Memory: the metadata (about 1/8192 of the data for 64 KiB clusters — L2 tables — plus the
 * refcount blocks), in memory up to {@link #DEFAULT_BUDGET} and in a sparse temporary file beyond.
 *
 * <p>Not used, the image going through a full temporary copy instead ({@link StdoutOutput}), when a source can
 * only be read once in order (a raw disk streamed out of a compressed file: a second pass would decompress it
 * all again) and with {@code --verify} (the image is checked before any of it is sent).
 */
final class StreamedQcow2 {
    /** System property: bytes of metadata kept in memory before it moves into a temporary file. */
    static final String BUDGET_PROPERTY = "qimg.stream.metadataBudget";
    static final long DEFAULT_BUDGET = 128L << 20;
    /** System property: "true" sends qcow2 to standard output through a full temporary copy, as before (bench). */
    static final String SPILL_PROPERTY = "qimg.stdout.spill";
    /** Granularity of the kept metadata (the smallest qcow2 cluster; every table is a multiple of it). */
    private static final int PAGE = 512;
    private static final Path SHOWN = Path.of(StdoutOutput.NAME);

    private StreamedQcow2() {
    }

    /** Whether a convert of {@code sources} to standard output with {@code o} is streamed in two passes. */
    static boolean applies(List<DiskImage> sources, ConvertOptions o) {
        return !Boolean.getBoolean(SPILL_PROPERTY) && o.clusterTarget != null && "qcow2".equals(o.formatName) && !o.noCreate && o.verifyFormat == null
                && o.container == null && !o.salvage && readableTwice(sources); // salvage would warn twice
    }

    /** False when a layer of a source is read as a stream (decoded in order from a compressed file). */
    static boolean readableTwice(List<DiskImage> sources) {
        for (DiskImage s : sources) {
            for (DiskImage i = s; i != null; i = i.backing().orElse(null)) {
                if (i instanceof ContainerImage c && "stream".equals(c.container().access())) {
                    return false;
                }
            }
        }
        return true;
    }

    static ConvertResult convert(List<DiskImage> sources, ConcatSource source, ConvertOptions o) throws IOException {
        StdoutStream out = StdoutStream.open();
        ConvertResult r = stream(source, o, out, sources.get(0).path(), budget()).result();
        o.progress.finished();
        return r;
    }

    /** What {@link #stream} did: the convert, and what the first pass kept for the second. */
    record Streamed(ConvertResult result, long metadataBytes, boolean metadataSpilled, int behindWrites,
                    long behindBytes) {
    }

    /**
     * Writes the image of {@code source} to {@code out} in two passes; the first pass keeps up to {@code budget}
     * bytes of metadata in memory. {@code sourceName} names the source when it changed between the passes.
     * Progress is reported as started, never as finished.
     */
    static Streamed stream(ConcatSource source, ConvertOptions o, StdoutStream out, Path sourceName, long budget)
            throws IOException {
        ProgressListener progress = o.progress;
        try (MetadataPages pages = new MetadataPages(PAGE, budget)) {
            PlanChannel plan = new PlanChannel(pages);
            Converter.writeNew(source, plan, SHOWN, null, o.withProgress(new Half(progress, false)));
            if (plan.cutBelowData() >= 0) {
                throw new ImageException("cannot stream this image to standard output: its writer shortened it to "
                        + plan.cutBelowData() + " bytes, below data it had written");
            }
            long kept = pages.memoryBytes();
            try (Recompute recompute = new Recompute(source, o.compressors)) {
                EmitChannel emit = new EmitChannel(pages, plan, recompute, out, sourceName);
                ConvertResult r = Converter.writeNew(source, emit, SHOWN, null,
                        o.withProgress(new Half(progress, true)));
                emit.finish();
                out.flush();
                return new Streamed(r, kept, pages.spilled(), plan.behind().count(), plan.behind().bytes());
            }
        }
    }

    private static long budget() {
        String v = System.getProperty(BUDGET_PROPERTY);
        try {
            return v == null ? DEFAULT_BUDGET : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return DEFAULT_BUDGET;
        }
    }

    /** One pass's progress as half of the whole: the first pass the first half, the second the rest. */
    private record Half(ProgressListener whole, boolean second) implements ProgressListener {
        @Override
        public void started(long total) {
            if (!second) {
                whole.started(total);
            }
        }

        @Override
        public void progress(long done, long total) {
            whole.progress(second ? (total + 1) / 2 + done / 2 : done / 2, total);
        }
    }
}
