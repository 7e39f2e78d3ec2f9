package org.qimg.converters.trace;

import java.util.List;

/**
 * The guest reads found in one trace file.
 *
 * @param source          the file read (its name as given), for messages
 * @param ranges          guest reads in file order (the reads that count, see {@link TraceParser})
 * @param virtioReads     {@code virtio_blk_handle_read} events seen
 * @param blockReads      {@code blk_co_preadv} events seen
 * @param plainLines      {@code OFFSET LENGTH} lines seen
 * @param ignoredLines    lines of other trace events or log text, skipped
 */
public record Trace(String source, List<GuestRange> ranges, long virtioReads, long blockReads, long plainLines,
                    long ignoredLines) {
    public Trace {
        ranges = List.copyOf(ranges);
    }

    /** Sum of the lengths of all reads (reads that overlap count twice). */
    public long bytesRead() {
        long sum = 0;
        for (GuestRange r : ranges) {
            sum = Math.addExact(sum, r.length());
        }
        return sum;
    }

    /** Which source the ranges came from, for reports: virtio_blk_handle_read, blk_co_preadv or plain. */
    public String kind() {
        if (virtioReads > 0) {
            return "virtio_blk_handle_read";
        }
        return blockReads > 0 ? "blk_co_preadv" : "plain";
    }
}
