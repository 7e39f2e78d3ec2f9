package org.qimg.converters.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.converters.convert.CompressionPolicy;
import org.qimg.converters.trace.ClusterSet;
import org.qimg.converters.trace.GuestRange;
import org.qimg.converters.trace.Sizes;
import org.qimg.converters.trace.Trace;
import org.qimg.converters.trace.TraceParser;
import org.qimg.format.ImageException;

/**
 * The "store these clusters plain" options of {@code qimg convert -c}, turned into one policy once the
 * target's cluster size and virtual size are known:
 * <ul>
 *   <li>{@code --keep-plain-trace FILE}: every cluster a traced read touches;</li>
 *   <li>{@code --keep-plain RANGES}: guest byte ranges {@code START-END[,START-END...]}, END exclusive,
 *       sizes as in {@link Sizes} (e.g. {@code 0-1G,4G-5G});</li>
 *   <li>{@code --min-savings PCT}: compressed only when that saves at least PCT % of the cluster.</li>
 * </ul>
 * All given options apply together (a cluster is compressed only if none of them keeps it plain).
 */
public final class PlainPolicies {
    private final List<Path> traces;
    private final List<String> ranges;
    private final Double minSavings;

    public PlainPolicies(List<Path> traces, List<String> ranges, Double minSavings) {
        this.traces = traces == null ? List.of() : List.copyOf(traces);
        this.ranges = ranges == null ? List.of() : List.copyOf(ranges);
        this.minSavings = minSavings;
        if (minSavings != null) {
            new MinSavingsPolicy(minSavings); // validates now, before any work starts
        }
    }

    public boolean isEmpty() {
        return traces.isEmpty() && ranges.isEmpty() && minSavings == null;
    }

    /** Builds the combined policy; trace and range errors name their file/line or the bad range. */
    public CompressionPolicy build(int clusterSize, long virtualSize) throws IOException {
        List<CompressionPolicy> parts = new ArrayList<>();
        ClusterSet.Builder plain = new ClusterSet.Builder();
        boolean any = false;
        for (Path p : traces) {
            Trace t = new TraceParser().parse(p);
            ClusterSet s = ClusterSet.of(t.ranges(), clusterSize, virtualSize, t.source());
            for (int i = 0; i < s.runCount(); i++) {
                plain.add(s.runStart(i), s.runEnd(i));
                any = true;
            }
        }
        for (String spec : ranges) {
            ClusterSet s = ClusterSet.of(parseRanges(spec, virtualSize), clusterSize, virtualSize,
                    "--keep-plain " + spec);
            for (int i = 0; i < s.runCount(); i++) {
                plain.add(s.runStart(i), s.runEnd(i));
                any = true;
            }
        }
        if (any) {
            parts.add(new KeepPlainPolicy(plain.build()));
        }
        if (minSavings != null) {
            parts.add(new MinSavingsPolicy(minSavings));
        }
        return PolicyChain.of(parts);
    }

    /**
     * Parses {@code START-END[,START-END...]} (END exclusive; {@code START-} means to the end of the disk).
     * Ranges must lie inside the disk.
     */
    public static List<GuestRange> parseRanges(String spec, long virtualSize) throws ImageException {
        List<GuestRange> out = new ArrayList<>();
        int i = 0;
        for (String part : spec.split(",", -1)) {
            i++;
            String p = part.strip();
            int dash = p.indexOf('-');
            if (p.isEmpty() || dash <= 0) {
                throw new ImageException("--keep-plain: range " + i + " '" + part + "' is not START-END"
                        + " (e.g. 0-1G,4G-5G)");
            }
            long start;
            long end;
            try {
                start = Sizes.parse(p.substring(0, dash));
                String e = p.substring(dash + 1).strip();
                end = e.isEmpty() ? virtualSize : Sizes.parse(e);
            } catch (IllegalArgumentException ex) {
                throw new ImageException("--keep-plain: range " + i + " '" + part + "': " + ex.getMessage());
            }
            if (end <= start) {
                throw new ImageException("--keep-plain: range " + i + " '" + part + "' is empty (END is exclusive"
                        + " and must be above START)");
            }
            if (end > virtualSize) {
                throw new ImageException("--keep-plain: range " + i + " '" + part + "' ends past the virtual size "
                        + virtualSize);
            }
            out.add(new GuestRange(start, end - start, i));
        }
        return out;
    }
}
