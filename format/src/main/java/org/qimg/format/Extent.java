package org.qimg.format;

/**
 * A run of guest bytes with one allocation status in one image layer (no look through backing files).
 *
 * @param start      guest offset of the first byte
 * @param length     number of bytes, &gt; 0
 * @param status     what the layer says about these bytes
 * @param hostOffset byte offset in the layer's data file where the bytes are stored contiguously,
 *                   or -1 when there is none (zero, unallocated, compressed)
 * @param compressed true when the bytes are stored in compressed clusters
 */
public record Extent(long start, long length, Status status, long hostOffset, boolean compressed) {
    public enum Status {
        /** Stored in this layer; reads its own bytes (which may still happen to be zero). */
        DATA,
        /** This layer says the range reads as zeros (zero flag, hole in a raw file). */
        ZERO,
        /** Not allocated in this layer: reads come from the backing file, or zeros without one. */
        UNALLOCATED
    }

    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length must be positive: " + length);
        }
    }

    public long end() {
        return start + length;
    }
}
