package org.qimg.converters.trace;

/**
 * One guest read taken from a trace: bytes [offset, offset + length) of the guest disk.
 *
 * @param offset guest byte offset, &ge; 0
 * @param length bytes read, &gt; 0, with {@code offset + length} not overflowing a long
 * @param line   1-based line of the trace file this read came from (0 when not from a file)
 */
public record GuestRange(long offset, long length, int line) {
    public GuestRange {
        if (offset < 0 || length <= 0 || length > Long.MAX_VALUE - offset) {
            throw new IllegalArgumentException("bad guest range: offset " + offset + " length " + length);
        }
    }

    /** First byte after the range. */
    public long end() {
        return offset + length;
    }
}
