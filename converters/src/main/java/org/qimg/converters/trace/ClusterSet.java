package org.qimg.converters.trace;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable set of guest cluster indices, kept as sorted disjoint runs: memory grows with the number
 * of separate runs a trace touches (never with the virtual size), and a run never extends past the
 * image. Lookups are binary searches. Safe to share between threads.
 */
public final class ClusterSet {
    private static final ClusterSet EMPTY = new ClusterSet(new long[0], new long[0]);

    private final long[] starts;
    private final long[] ends;
    private final long cardinality;

    private ClusterSet(long[] starts, long[] ends) {
        this.starts = starts;
        this.ends = ends;
        long n = 0;
        for (int i = 0; i < starts.length; i++) {
            n += ends[i] - starts[i];
        }
        this.cardinality = n;
    }

    public static ClusterSet empty() {
        return EMPTY;
    }

    /**
     * The clusters of {@code clusterSize} bytes that the ranges touch.
     *
     * @param virtualSize the guest disk size; a range reaching past it is an error naming its line
     * @param source      the name of the file the ranges came from, for messages
     */
    public static ClusterSet of(List<GuestRange> ranges, int clusterSize, long virtualSize, String source)
            throws TraceFormatException {
        if (clusterSize <= 0 || Integer.bitCount(clusterSize) != 1) {
            throw new IllegalArgumentException("cluster size must be a power of two: " + clusterSize);
        }
        Builder b = new Builder();
        for (GuestRange r : ranges) {
            if (r.end() > virtualSize) {
                throw new TraceFormatException(source, r.line(), "read of " + r.length() + " bytes at offset "
                        + r.offset() + " ends past the image's virtual size " + virtualSize
                        + " (is the trace from another disk?)");
            }
            b.add(r.offset() / clusterSize, (r.end() - 1) / clusterSize + 1);
        }
        return b.build();
    }

    /** Collects runs [start, end) of cluster indices, merging overlapping and adjacent runs as they come. */
    public static final class Builder {
        private final TreeMap<Long, Long> runs = new TreeMap<>();

        public Builder add(long start, long end) {
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("bad cluster run [" + start + ", " + end + ")");
            }
            Map.Entry<Long, Long> before = runs.floorEntry(start);
            if (before != null && before.getValue() >= start) {
                if (before.getValue() >= end) {
                    return this;
                }
                start = before.getKey();
            }
            Map.Entry<Long, Long> next;
            while ((next = runs.ceilingEntry(start)) != null && next.getKey() <= end) {
                end = Math.max(end, next.getValue());
                runs.remove(next.getKey());
            }
            runs.put(start, end);
            return this;
        }

        public ClusterSet build() {
            long[] s = new long[runs.size()];
            long[] e = new long[runs.size()];
            int i = 0;
            for (Map.Entry<Long, Long> run : runs.entrySet()) {
                s[i] = run.getKey();
                e[i] = run.getValue();
                i++;
            }
            return new ClusterSet(s, e);
        }
    }

    public boolean contains(long cluster) {
        int i = Arrays.binarySearch(starts, cluster);
        if (i >= 0) {
            return true;
        }
        int run = -i - 2;
        return run >= 0 && cluster < ends[run];
    }

    /** The smallest member &ge; {@code from}, or -1 when there is none (like {@code BitSet.nextSetBit}). */
    public long nextSetBit(long from) {
        int i = Arrays.binarySearch(starts, from);
        if (i >= 0) {
            return from;
        }
        int run = -i - 2;
        if (run >= 0 && from < ends[run]) {
            return from;
        }
        return run + 1 < starts.length ? starts[run + 1] : -1;
    }

    /** Number of clusters in the set. */
    public long cardinality() {
        return cardinality;
    }

    public boolean isEmpty() {
        return cardinality == 0;
    }

    /** Number of disjoint runs. */
    public int runCount() {
        return starts.length;
    }

    public long runStart(int i) {
        return starts[i];
    }

    /** Exclusive end of run {@code i}. */
    public long runEnd(int i) {
        return ends[i];
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ClusterSet[");
        for (int i = 0; i < starts.length && i < 8; i++) {
            sb.append(i == 0 ? "" : ",").append(starts[i]).append('-').append(ends[i] - 1);
        }
        return sb.append(starts.length > 8 ? ",…]" : "]").toString();
    }
}
