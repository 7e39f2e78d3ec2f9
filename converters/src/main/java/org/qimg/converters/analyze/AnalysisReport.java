package org.qimg.converters.analyze;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code qimg analyze} found. {@link #toMap()} gives the JSON shape with stable keys in a fixed order.
 *
 * @param image           the file analysed
 * @param format          qcow2 or raw
 * @param virtualSize     guest size in bytes
 * @param clusterSize     the image's cluster size (raw: the 64 KiB granule analysed)
 * @param fileSize        bytes of the image file
 * @param codec           the image's compression type (zlib, zstd), or null when it has none
 * @param census          clusters by how they are stored
 * @param histogram       compressed clusters by payload/cluster ratio: bucket i counts ratios in
 *                        [10i %, 10(i+1) %)
 * @param costs           decompression cost per codec (the image's own, the other one, plain)
 * @param amplification   bytes decompressed per 4 KiB guest read
 * @param trace           impact of the traced reads, or null without a trace
 * @param recommendations plain-word advice with the numbers behind it
 */
public record AnalysisReport(String image, String format, long virtualSize, int clusterSize, long fileSize,
                             String codec, Census census, long[] histogram, List<CodecCost> costs,
                             Amplification amplification, TraceImpact trace, List<String> recommendations) {

    /** Cluster counts and bytes. Compressed counts are per codec, but an image has one codec. */
    public record Census(long unallocatedClusters, long zeroClusters, long plainClusters, long compressedClusters,
                         long unallocatedBytes, long zeroBytes, long plainBytes, long compressedGuestBytes,
                         long compressedStoredBytes, long compressedPayloadBytes) {
        public long dataClusters() {
            return plainClusters + compressedClusters;
        }
    }

    /**
     * The CPU a codec costs, measured on this machine.
     *
     * @param codec             zlib, zstd or plain
     * @param source            "image" (the image's own payloads), "recompressed" (sample recompressed), "copy"
     * @param clustersMeasured  clusters timed
     * @param nsPerCluster      mean decompression (plain: copy) time per stored-compressed cluster
     * @param compressedShare   fraction of sampled data clusters this codec would store compressed
     * @param fullReadSeconds   estimated CPU seconds to decompress every data cluster of the image once
     * @param estimatedDataBytes estimated bytes the image's data clusters would take with this codec
     */
    public record CodecCost(String codec, String source, long clustersMeasured, double nsPerCluster,
                            double compressedShare, double fullReadSeconds, long estimatedDataBytes) {
    }

    /**
     * @param guestReadBytes        4096
     * @param compressedReadBytes   bytes expanded when that read hits a compressed cluster (the cluster size)
     * @param averageReadBytes      expected bytes expanded or copied per 4 KiB read spread evenly over data
     */
    public record Amplification(int guestReadBytes, long compressedReadBytes, double averageReadBytes) {
    }

    /**
     * @param source                   trace file
     * @param kind                     which events the reads came from
     * @param reads                    reads in the trace
     * @param bytes                    bytes they read
     * @param readsOnCompressed        reads touching at least one compressed cluster
     * @param bytesOnCompressed        bytes of the reads that lie in compressed clusters
     * @param clustersTouched          distinct data clusters the reads touch
     * @param compressedClustersTouched distinct compressed clusters the reads touch
     * @param decompressions           cluster decompressions a replay does (QEMU expands per read)
     * @param replaySeconds            measured decompression CPU of a replay, per codec name
     * @param keepPlainExtraBytes      bytes added by storing the touched compressed clusters plain
     * @param sampled                  true when a very large touched set was measured on an even subset
     */
    public record TraceImpact(String source, String kind, long reads, long bytes, long readsOnCompressed,
                              long bytesOnCompressed, long clustersTouched, long compressedClustersTouched,
                              long decompressions, Map<String, Double> replaySeconds, long keepPlainExtraBytes,
                              boolean sampled) {
    }

    /** The report as nested maps and lists with fixed key order, for JSON. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", image);
        m.put("format", format);
        m.put("virtual-size", virtualSize);
        m.put("cluster-size", clusterSize);
        m.put("file-size", fileSize);
        m.put("compression-type", codec);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("unallocated-clusters", census.unallocatedClusters());
        c.put("zero-clusters", census.zeroClusters());
        c.put("plain-clusters", census.plainClusters());
        c.put("compressed-clusters", census.compressedClusters());
        c.put("unallocated-bytes", census.unallocatedBytes());
        c.put("zero-bytes", census.zeroBytes());
        c.put("plain-bytes", census.plainBytes());
        c.put("compressed-guest-bytes", census.compressedGuestBytes());
        c.put("compressed-stored-bytes", census.compressedStoredBytes());
        c.put("compressed-payload-bytes", census.compressedPayloadBytes());
        m.put("census", c);
        List<Map<String, Object>> h = new ArrayList<>();
        for (int i = 0; i < histogram.length; i++) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("ratio-from", i * 10);
            b.put("ratio-to", (i + 1) * 10);
            b.put("clusters", histogram[i]);
            h.add(b);
        }
        m.put("histogram", h);
        List<Map<String, Object>> cs = new ArrayList<>();
        for (CodecCost k : costs) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("codec", k.codec());
            e.put("source", k.source());
            e.put("clusters-measured", k.clustersMeasured());
            e.put("ns-per-cluster", Math.round(k.nsPerCluster()));
            e.put("compressed-share", round(k.compressedShare(), 4));
            e.put("full-read-seconds", round(k.fullReadSeconds(), 6));
            e.put("estimated-data-bytes", k.estimatedDataBytes());
            cs.add(e);
        }
        m.put("decompression-cost", cs);
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("guest-read-bytes", amplification.guestReadBytes());
        a.put("compressed-read-bytes", amplification.compressedReadBytes());
        a.put("average-read-bytes", round(amplification.averageReadBytes(), 1));
        m.put("read-amplification", a);
        if (trace != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("file", trace.source());
            t.put("kind", trace.kind());
            t.put("reads", trace.reads());
            t.put("bytes", trace.bytes());
            t.put("reads-on-compressed", trace.readsOnCompressed());
            t.put("bytes-on-compressed", trace.bytesOnCompressed());
            t.put("clusters-touched", trace.clustersTouched());
            t.put("compressed-clusters-touched", trace.compressedClustersTouched());
            t.put("decompressions", trace.decompressions());
            Map<String, Object> r = new LinkedHashMap<>();
            trace.replaySeconds().forEach((k, v) -> r.put(k, round(v, 6)));
            t.put("replay-decompression-seconds", r);
            t.put("keep-plain-extra-bytes", trace.keepPlainExtraBytes());
            t.put("sampled", trace.sampled());
            m.put("trace", t);
        }
        m.put("recommendations", recommendations);
        return m;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
