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
 * @param zero       reads as zeros according to metadata (with {@code data}: stored, but the host file
 *                   has a hole there, as QEMU reports metadata-preallocated images)
 * @param data       stored data (which may still happen to be zero)
 * @param hostOffset where the range is in {@code layer}'s file, or -1 when it has no host cluster there
 *                   (compressed; zero or unallocated without one). Zero and unallocated ranges may have one
 *                   (a qcow2 cluster that keeps its host cluster): then it is not where guest data lives.
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
