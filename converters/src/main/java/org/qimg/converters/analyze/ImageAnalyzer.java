package org.qimg.converters.analyze;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import org.qimg.converters.trace.ClusterSet;
import org.qimg.converters.trace.GuestRange;
import org.qimg.converters.trace.Trace;
import org.qimg.format.CompressedPayload;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageLayout;
import org.qimg.format.ImageLimitException;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;

/**
 * Measures what compression costs an image: which clusters are compressed and how well, how much CPU
 * their decompression takes with each codec (timed on this machine), and, given a trace of guest reads,
 * what exactly those reads pay. Reads only metadata plus the compressed payloads, the sampled clusters
 * and the traced clusters; memory stays at a few clusters plus the traced set's bookkeeping.
 */
public final class ImageAnalyzer {
    public static final int DEFAULT_SAMPLE = 256;
    /** Granule for images without clusters (raw). */
    public static final int RAW_GRANULE = 64 * 1024;
    /** Cluster visits a trace may cost (sum over reads of the clusters each touches). */
    static final long MAX_TRACE_VISITS = 64L << 20;
    /** Touched clusters timed one by one; beyond this an even subset is timed and scaled. */
    static final int MAX_TRACE_MEASURED = 16384;

    private final int sampleClusters;

    public ImageAnalyzer() {
        this(DEFAULT_SAMPLE);
    }

    public ImageAnalyzer(int sampleClusters) {
        if (sampleClusters < 1 || sampleClusters > 65536) {
            throw new IllegalArgumentException("sample must be 1..65536 clusters: " + sampleClusters);
        }
        this.sampleClusters = sampleClusters;
    }

    /** Analyses {@code image}; {@code trace} may be null. */
    public AnalysisReport analyze(DiskImage image, Trace trace) throws IOException {
        ImageLayout layout = image.layout();
        int cs = layout.flat() ? RAW_GRANULE : layout.clusterSize();
        long vs = image.virtualSize();
        CompressionType codec = layout.compression();
        Counts counts = census(image, cs);

        ClusterSet touched = ClusterSet.empty();
        Map<Long, Integer> multiplicity = new HashMap<>();
        if (trace != null) {
            touched = ClusterSet.of(trace.ranges(), cs, vs, trace.source());
            long visits = 0;
            for (GuestRange r : trace.ranges()) {
                long first = r.offset() / cs;
                long last = (r.end() - 1) / cs;
                visits += last - first + 1;
                if (visits > MAX_TRACE_VISITS) {
                    throw new ImageLimitException(trace.source() + ": the trace's reads span more than "
                            + MAX_TRACE_VISITS + " cluster visits; analyze a shorter trace");
                }
                for (long c = first; c <= last; c++) {
                    multiplicity.merge(c, 1, Integer::sum);
                }
            }
        }

        long dataClusters = counts.plainClusters + counts.compressedClusters;
        int sample = (int) Math.min(sampleClusters, dataClusters);
        long touchedData = 0;
        Pass pass = new Pass(image, codec, cs, touched, multiplicity, dataClusters, sample);
        try (pass) {
            pass.run();
        }
        touchedData = pass.touchedData;

        long[] histogram = pass.histogram;
        List<AnalysisReport.CodecCost> costs = new ArrayList<>();
        if (codec != null && counts.compressedClusters > 0) {
            costs.add(new AnalysisReport.CodecCost(codec.qemuName(), "image", counts.compressedClusters,
                    (double) pass.fullReadNanos / counts.compressedClusters,
                    (double) counts.compressedClusters / dataClusters, pass.fullReadNanos / 1e9,
                    counts.plainBytesStored + pass.payloadBytes));
        }
        for (CompressionType t : CompressionType.values()) {
            Acc a = pass.sampleAcc.get(t.qemuName());
            double ns = a.compressed == 0 ? 0 : (double) a.nanos / a.compressed;
            double share = a.clusters == 0 ? 0 : (double) a.compressed / a.clusters;
            long est = a.clusters == 0 ? 0 : Math.round((double) a.storedBytes / a.clusters * dataClusters);
            costs.add(new AnalysisReport.CodecCost(t.qemuName(), "recompressed", a.clusters, ns, share,
                    ns * share * dataClusters / 1e9, est));
        }
        Acc plain = pass.sampleAcc.get("plain");
        double copyNs = plain.clusters == 0 ? 0 : (double) plain.nanos / plain.clusters;
        costs.add(new AnalysisReport.CodecCost("plain", "copy", plain.clusters, copyNs, 0,
                copyNs * dataClusters / 1e9, dataClusters * (long) cs));

        double avg = dataClusters == 0 ? 0
                : ((double) counts.compressedClusters * cs + (double) counts.plainClusters * Math.min(4096, cs))
                / dataClusters;
        AnalysisReport.Amplification amp = new AnalysisReport.Amplification(4096, cs, avg);

        AnalysisReport.TraceImpact impact = null;
        if (trace != null) {
            impact = traceImpact(trace, cs, pass, touchedData);
        }
        AnalysisReport.Census census = new AnalysisReport.Census(counts.unallocatedClusters, counts.zeroClusters,
                counts.plainClusters, counts.compressedClusters, counts.unallocatedBytes, counts.zeroBytes,
                counts.plainBytes, counts.compressedBytes, pass.storedBytes, pass.payloadBytes);
        long fileSize = Files.size(image.path());
        AnalysisReport draft = new AnalysisReport(image.path().toString(), image.formatName(), vs, cs, fileSize,
                codec == null ? null : codec.qemuName(),
                census, histogram, costs, amp, impact, List.of());
        return new AnalysisReport(draft.image(), draft.format(), vs, cs, fileSize, draft.codec(), census,
                histogram, costs, amp, impact, Advice.recommend(draft));
    }

    private static AnalysisReport.TraceImpact traceImpact(Trace trace, int cs, Pass pass, long touchedData) {
        long readsOn = 0;
        long bytesOn = 0;
        long decompressions = 0;
        for (GuestRange r : trace.ranges()) {
            boolean hit = false;
            for (long c = r.offset() / cs; c <= (r.end() - 1) / cs; c++) {
                if (pass.touchedCompressed.contains(c)) {
                    hit = true;
                    decompressions++;
                    long lo = Math.max(r.offset(), c * cs);
                    long hi = Math.min(r.end(), (c + 1) * cs);
                    bytesOn += hi - lo;
                }
            }
            if (hit) {
                readsOn++;
            }
        }
        Map<String, Double> replay = new LinkedHashMap<>();
        double scale = pass.traceScale;
        replay.put("image", pass.traceAcc.get("image").nanos * scale / 1e9);
        for (CompressionType t : CompressionType.values()) {
            replay.put(t.qemuName(), pass.traceAcc.get(t.qemuName()).nanos * scale / 1e9);
        }
        replay.put("plain", pass.traceAcc.get("plain").nanos * scale / 1e9);
        return new AnalysisReport.TraceImpact(trace.source(), trace.kind(), trace.ranges().size(),
                trace.bytesRead(), readsOn, bytesOn, touchedData, pass.touchedCompressed.size(), decompressions,
                replay, pass.keepPlainExtra, scale != 1.0);
    }

    /** Clusters are counted by where they start: a cluster belongs to the extent holding its first byte. */
    private static Counts census(DiskImage image, int cs) throws IOException {
        Counts k = new Counts();
        long vs = image.virtualSize();
        long off = 0;
        while (off < vs) {
            Extent e = image.extentAt(off, vs - off);
            long clusters = ceilDiv(e.end(), cs) - ceilDiv(e.start(), cs);
            switch (e.status()) {
                case UNALLOCATED -> {
                    k.unallocatedClusters += clusters;
                    k.unallocatedBytes += e.length();
                }
                case ZERO -> {
                    k.zeroClusters += clusters;
                    k.zeroBytes += e.length();
                }
                case DATA -> {
                    if (e.compressed()) {
                        k.compressedClusters += clusters;
                        k.compressedBytes += e.length();
                    } else {
                        k.plainClusters += clusters;
                        k.plainBytes += e.length();
                        k.plainBytesStored += e.length();
                    }
                }
                default -> throw new IllegalStateException("unknown extent status " + e.status());
            }
            off = e.end();
        }
        return k;
    }

    static long ceilDiv(long a, long b) {
        return a / b + (a % b == 0 ? 0 : 1);
    }

    private static final class Counts {
        long unallocatedClusters;
        long zeroClusters;
        long plainClusters;
        long compressedClusters;
        long unallocatedBytes;
        long zeroBytes;
        long plainBytes;
        long plainBytesStored;
        long compressedBytes;
    }

    /** Running sums for one codec: clusters seen, how many it would compress, their time and stored bytes. */
    static final class Acc {
        long clusters;
        long compressed;
        long nanos;
        long storedBytes;
    }

    /** The one pass over the data clusters that reads payloads and samples. */
    private static final class Pass implements AutoCloseable {
        final DiskImage image;
        final CompressionType codec;
        final int cs;
        final ClusterSet touched;
        final Map<Long, Integer> multiplicity;
        final long dataClusters;
        final int sample;
        final CodecLab lab;
        /** The file the last compressed payload was read from, opened at the first one. */
        FileChannel file;
        Path payloadPath;
        final ByteBuffer span;
        final ByteBuffer data;
        final long[] histogram = new long[10];
        final Map<String, Acc> sampleAcc = new HashMap<>();
        final Map<String, Acc> traceAcc = new HashMap<>();
        final Set<Long> touchedCompressed = new HashSet<>();
        long fullReadNanos;
        long storedBytes;
        long payloadBytes;
        long keepPlainExtra;
        long touchedData;
        double traceScale = 1.0;
        private long ordinal;
        private int sampled;
        private int traceStride = 1;
        private long touchedSeen;

        Pass(DiskImage image, CompressionType codec, int cs, ClusterSet touched,
             Map<Long, Integer> multiplicity, long dataClusters, int sample) throws IOException {
            this.image = image;
            this.codec = codec;
            this.cs = cs;
            this.touched = touched;
            this.multiplicity = multiplicity;
            this.dataClusters = dataClusters;
            this.sample = sample;
            this.lab = new CodecLab(cs);
            this.span = ByteBuffer.allocateDirect(2 * cs);
            this.data = ByteBuffer.allocateDirect(cs);
            for (String k : new String[] {"zlib", "zstd", "plain", "image"}) {
                sampleAcc.put(k, new Acc());
                traceAcc.put(k, new Acc());
            }
        }

        void run() throws IOException {
            long vs = image.virtualSize();
            if (touched.cardinality() > MAX_TRACE_MEASURED) {
                traceStride = (int) ImageAnalyzer.ceilDiv(touched.cardinality(), MAX_TRACE_MEASURED);
            }
            long off = 0;
            while (off < vs) {
                Extent e = image.extentAt(off, vs - off);
                if (e.status() == Extent.Status.DATA) {
                    for (long c = ceilDiv(e.start(), cs); c * cs < e.end(); c++) {
                        cluster(c, e.compressed());
                    }
                }
                off = e.end();
            }
            if (touchedSeen > 0 && traceStride > 1) {
                long measured = ceilDiv(touchedSeen, traceStride);
                traceScale = (double) touchedSeen / measured;
            }
        }

        private void cluster(long c, boolean compressed) throws IOException {
            ByteBuffer payload = null;
            long guest = c * cs;
            int valid = (int) Math.min(cs, image.virtualSize() - guest);
            if (compressed) {
                CompressedPayload p = image.compressedPayload(guest).orElseThrow(() -> new IllegalStateException(
                        image.path() + ": compressed extent at guest offset " + guest + " has no payload"));
                span.clear().limit(p.spanLength());
                Positional.readFully(payloadFile(p), span, p.hostOffset(), p.file());
                span.flip();
                data.clear();
                long t0 = System.nanoTime();
                int used;
                try {
                    used = lab.expand(codec, span, data);
                } catch (DataFormatException | RuntimeException ex) {
                    throw new CorruptImageException(image.path().toString(), p.hostOffset(), "compressed cluster"
                            + " for guest offset " + guest + " does not expand to " + cs + " bytes: " + ex.getMessage());
                }
                fullReadNanos += System.nanoTime() - t0;
                used = Math.min(Math.max(used, 1), p.spanLength());
                storedBytes += p.spanLength();
                payloadBytes += used;
                histogram[(int) Math.min(9, (long) used * 10 / cs)]++;
                payload = span.duplicate().position(0).limit(used);
                data.flip();
            }
            boolean inSample = sampled < sample && ordinal == (long) sampled * dataClusters / sample;
            boolean inTrace = touched.contains(c);
            ordinal++;
            if (inTrace) {
                touchedData++;
                if (compressed) {
                    touchedCompressed.add(c);
                    keepPlainExtra += cs - payload.remaining();
                }
            }
            boolean measureTrace = inTrace && (touchedSeen++ % traceStride == 0);
            if (!inSample && !measureTrace) {
                return;
            }
            if (inSample) {
                sampled++;
            }
            if (!compressed) {
                data.clear();
                image.read(guest, data.limit(valid));
                while (data.hasRemaining()) {
                    data.put((byte) 0);
                }
                data.flip();
            }
            int m = measureTrace ? multiplicity.getOrDefault(c, 1) : 0;
            try {
                if (measureTrace) {
                    traceAcc.get("image").nanos += compressed ? m * lab.timeDecompress(codec, payload)
                            : m * lab.timeCopy(data);
                }
                for (CompressionType t : CompressionType.values()) {
                    ByteBuffer pl = compressed && t == codec ? payload : lab.compress(t, data);
                    long ns = pl == null ? 0 : lab.timeDecompress(t, pl);
                    if (inSample) {
                        Acc a = sampleAcc.get(t.qemuName());
                        a.clusters++;
                        a.storedBytes += pl == null ? cs : pl.remaining();
                        if (pl != null) {
                            a.compressed++;
                            a.nanos += ns;
                        }
                    }
                    if (measureTrace) {
                        traceAcc.get(t.qemuName()).nanos += m * (pl == null ? lab.timeCopy(data) : ns);
                    }
                }
            } catch (DataFormatException ex) {
                throw new CorruptImageException(image.path().toString(), guest, "cluster at guest offset " + guest
                        + " failed to decompress while timing: " + ex.getMessage());
            }
            long copy = lab.timeCopy(data);
            if (inSample) {
                Acc a = sampleAcc.get("plain");
                a.clusters++;
                a.nanos += copy;
            }
            if (measureTrace) {
                traceAcc.get("plain").nanos += m * copy;
            }
        }

        private FileChannel payloadFile(CompressedPayload p) throws IOException {
            if (file == null || !payloadPath.equals(p.file())) {
                if (file != null) {
                    file.close();
                }
                file = null;
                file = NamedChannel.open(p.file(), StandardOpenOption.READ);
                payloadPath = p.file();
            }
            return file;
        }

        @Override
        public void close() throws IOException {
            lab.close();
            if (file != null) {
                file.close();
            }
        }
    }
}
