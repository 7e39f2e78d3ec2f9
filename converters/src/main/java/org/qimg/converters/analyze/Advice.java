package org.qimg.converters.analyze;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns an analysis into a few sentences with the numbers that support them. */
final class Advice {
    private Advice() {
    }

    static List<String> recommend(AnalysisReport r) {
        List<String> out = new ArrayList<>();
        AnalysisReport.Census c = r.census();
        AnalysisReport.CodecCost zlib = cost(r, "zlib", "recompressed");
        AnalysisReport.CodecCost zstd = cost(r, "zstd", "recompressed");
        if (c.dataClusters() == 0) {
            out.add("The image holds no data clusters: there is nothing to decompress.");
            return out;
        }
        if (c.compressedClusters() == 0) {
            out.add(String.format(Locale.ROOT, "No cluster is compressed, so reads cost no decompression."
                            + " Compressing would store the %s of data in about %s with zlib or %s with zstd.",
                    bytes(c.plainBytes()), bytes(zlib.estimatedDataBytes()), bytes(zstd.estimatedDataBytes())));
        } else {
            out.add(String.format(Locale.ROOT, "%d of %d data clusters (%.1f%%) are compressed; every guest read"
                            + " that touches one expands the whole %s cluster (%d× a 4 KiB read).",
                    c.compressedClusters(), c.dataClusters(), 100.0 * c.compressedClusters() / c.dataClusters(),
                    bytes(r.clusterSize()), r.clusterSize() / 4096));
        }
        String other = "zlib".equals(r.codec()) ? "zstd" : "zstd".equals(r.codec()) ? "zlib" : null;
        AnalysisReport.TraceImpact t = r.trace();
        if (other != null && c.compressedClusters() > 0) {
            AnalysisReport.CodecCost mine = cost(r, r.codec(), "recompressed");
            AnalysisReport.CodecCost theirs = cost(r, other, "recompressed");
            double sizeDelta = mine.estimatedDataBytes() == 0 ? 0
                    : 100.0 * (theirs.estimatedDataBytes() - mine.estimatedDataBytes()) / mine.estimatedDataBytes();
            if (t != null && t.compressedClustersTouched() > 0) {
                double a = t.replaySeconds().get(r.codec());
                double b = t.replaySeconds().get(other);
                out.add(String.format(Locale.ROOT, "%s would %s boot-read decompression by %.1f× (%s → %s) for"
                                + " %+.1f%% size.", other, b <= a ? "cut" : "raise", ratio(a, b), ms(a), ms(b),
                        sizeDelta));
            } else {
                out.add(String.format(Locale.ROOT, "%s would %s decompression per cluster by %.1f× (%.0f µs → %.0f µs)"
                                + " for %+.1f%% size.", other, theirs.nsPerCluster() <= mine.nsPerCluster() ? "cut"
                                : "raise", ratio(mine.nsPerCluster(), theirs.nsPerCluster()),
                        mine.nsPerCluster() / 1000, theirs.nsPerCluster() / 1000, sizeDelta));
            }
        }
        if (t != null) {
            if (t.compressedClustersTouched() == 0) {
                out.add(String.format(Locale.ROOT, "The %d traced reads touch %d data clusters, none compressed:"
                        + " they already read like a plain image.", t.reads(), t.clustersTouched()));
            } else {
                double now = t.replaySeconds().get("image");
                out.add(String.format(Locale.ROOT, "Keeping the %d boot clusters plain costs %s (%+.1f%% of the"
                                + " file) and saves %s of decompression over the %d traced reads"
                                + " (%d decompressions): qimg convert -c --keep-plain-trace %s.",
                        t.compressedClustersTouched(), plusBytes(t.keepPlainExtraBytes()),
                        100.0 * t.keepPlainExtraBytes() / r.fileSize(), ms(now - t.replaySeconds().get("plain")),
                        t.reads(), t.decompressions(), t.source()));
            }
        }
        return out;
    }

    static AnalysisReport.CodecCost cost(AnalysisReport r, String codec, String source) {
        for (AnalysisReport.CodecCost k : r.costs()) {
            if (k.codec().equals(codec) && k.source().equals(source)) {
                return k;
            }
        }
        throw new IllegalStateException("no cost for " + codec + "/" + source);
    }

    private static double ratio(double a, double b) {
        double hi = Math.max(a, b);
        double lo = Math.min(a, b);
        return lo <= 0 ? hi <= 0 ? 1 : Double.POSITIVE_INFINITY : hi / lo;
    }

    static String ms(double seconds) {
        return String.format(Locale.ROOT, seconds < 0.01 ? "%.2f ms" : "%.0f ms", seconds * 1000);
    }

    static String plusBytes(long b) {
        return "+" + bytes(b);
    }

    /** Binary units, one decimal, as qemu-img prints sizes. */
    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[i]);
    }
}
