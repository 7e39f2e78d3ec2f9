package org.qimg.converters.map;

/**
 * One line of {@code qemu-img map}: a maximal run of guest bytes with one status.
 *
 * @param offset   host offset in {@code filename}, or -1 when there is none (then filename is null)
 * @param filename the file holding the bytes, as the chain opened it; null without offset
 */
public record MapEntry(long start, long length, int depth, boolean present, boolean zero, boolean data,
                       long offset, String filename) {

    public boolean hasOffset() {
        return offset >= 0;
    }

    public long end() {
        return start + length;
    }

    /** qemu-img's {@code entry_mergeable}: same flags and depth, same file, contiguous host offsets. */
    boolean mergeableWith(MapEntry next) {
        if (length == 0 || zero != next.zero || data != next.data || depth != next.depth
                || present != next.present || hasOffset() != next.hasOffset()
                || (filename == null) != (next.filename == null)) {
            return false;
        }
        if (filename != null && !filename.equals(next.filename)) {
            return false;
        }
        return !hasOffset() || offset + length == next.offset;
    }

    MapEntry extendedBy(long more) {
        return new MapEntry(start, length + more, depth, present, zero, data, offset, filename);
    }
}
