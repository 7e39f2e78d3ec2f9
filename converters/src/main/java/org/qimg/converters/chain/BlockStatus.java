package org.qimg.converters.chain;

import org.qimg.format.DiskImage;

/**
 * What the whole backing chain says about a guest range, as QEMU's block status does for {@code qemu-img
 * map}: the first layer (from the top) that allocates it, or zeros when none does.
 *
 * @param start      guest offset
 * @param length     bytes, &gt; 0
 * @param depth      0 for the top image, 1 for its backing file, ...
 * @param present    some layer allocates the range (data or zero flag); false when it falls off the chain
 * @param zero       reads as zeros according to metadata
 * @param data       stored data (which may still happen to be zero)
 * @param hostOffset where the bytes are in {@code layer}'s file, or -1 (compressed, unallocated, zero)
 * @param layer      the layer that answered (the bottom one when nothing is allocated)
 */
public record BlockStatus(long start, long length, int depth, boolean present, boolean zero, boolean data,
                          long hostOffset, DiskImage layer) {

    public long end() {
        return start + length;
    }

    /** True when the range is known to read as zeros without reading it. */
    public boolean knownZero() {
        return zero && !data;
    }
}
