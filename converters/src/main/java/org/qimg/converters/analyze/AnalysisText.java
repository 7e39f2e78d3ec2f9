package org.qimg.converters.analyze;

import java.util.Locale;
import java.util.Map;

/** Renders an {@link AnalysisReport} for a terminal: census table, histogram bars, costs, advice. */
public final class AnalysisText {
    private static final int BAR = 40;

    private AnalysisText() {
    }

    public static String render(AnalysisReport r) {
        StringBuilder sb = new StringBuilder();
        AnalysisReport.Census c = r.census();
        line(sb, "image: %s (%s, virtual size %s, cluster %s, file %s%s)", r.image(), r.format(),
                Advice.bytes(r.virtualSize()), Advice.bytes(r.clusterSize()), Advice.bytes(r.fileSize()),
                r.codec() == null ? "" : ", compression " + r.codec());
        sb.append('\n');
        line(sb, "%-14s %12s %12s", "clusters", "count", "guest bytes");
        line(sb, "%-14s %12d %12s", "unallocated", c.unallocatedClusters(), Advice.bytes(c.unallocatedBytes()));
        line(sb, "%-14s %12d %12s", "zero", c.zeroClusters(), Advice.bytes(c.zeroBytes()));
        line(sb, "%-14s %12d %12s", "plain", c.plainClusters(), Advice.bytes(c.plainBytes()));
        line(sb, "%-14s %12d %12s   stored in %s", "compressed" + (r.codec() == null ? "" : " " + r.codec()),
                c.compressedClusters(), Advice.bytes(c.compressedGuestBytes()), Advice.bytes(c.compressedPayloadBytes()));
        if (c.compressedClusters() > 0) {
            sb.append('\n');
            line(sb, "compressed size / cluster size:");
            long max = 1;
            for (long h : r.histogram()) {
                max = Math.max(max, h);
            }
            for (int i = 0; i < r.histogram().length; i++) {
                long h = r.histogram()[i];
                int len = (int) Math.round((double) h * BAR / max);
                line(sb, "  %3d-%3d%% %-" + BAR + "s %d", i * 10, (i + 1) * 10,
                        "#".repeat(h > 0 && len == 0 ? 1 : len), h);
            }
        }
        sb.append('\n');
        line(sb, "decompression cost (measured here):");
        for (AnalysisReport.CodecCost k : r.costs()) {
            line(sb, "  %-6s %-13s %8.1f µs/cluster  full read %8.3f s  data ≈ %s (%d clusters timed)", k.codec(),
                    "(" + k.source() + ")", k.nsPerCluster() / 1000, k.fullReadSeconds(),
                    Advice.bytes(k.estimatedDataBytes()), k.clustersMeasured());
        }
        AnalysisReport.Amplification a = r.amplification();
        line(sb, "read amplification: a 4 KiB read of a compressed cluster expands %s (%d×); average over"
                + " data %s per 4 KiB read", Advice.bytes(a.compressedReadBytes()), a.compressedReadBytes() / 4096,
                Advice.bytes(Math.round(a.averageReadBytes())));
        AnalysisReport.TraceImpact t = r.trace();
        if (t != null) {
            sb.append('\n');
            line(sb, "trace %s (%s): %d reads, %s", t.source(), t.kind(), t.reads(), Advice.bytes(t.bytes()));
            line(sb, "  on compressed clusters: %d reads, %s; %d of %d touched data clusters compressed;"
                    + " %d decompressions", t.readsOnCompressed(), Advice.bytes(t.bytesOnCompressed()),
                    t.compressedClustersTouched(), t.clustersTouched(), t.decompressions());
            StringBuilder rs = new StringBuilder();
            for (Map.Entry<String, Double> e : t.replaySeconds().entrySet()) {
                rs.append(rs.length() == 0 ? "" : ", ").append(e.getKey().equals("image") ? "as stored" : e.getKey())
                        .append(' ').append(Advice.ms(e.getValue()));
            }
            line(sb, "  decompression CPU of the traced reads%s: %s", t.sampled() ? " (sampled)" : "", rs);
        }
        sb.append('\n');
        for (String s : r.recommendations()) {
            line(sb, "* %s", s);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String fmt, Object... args) {
        sb.append(String.format(Locale.ROOT, fmt, args)).append('\n');
    }
}
