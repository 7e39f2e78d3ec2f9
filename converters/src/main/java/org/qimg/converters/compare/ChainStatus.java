package org.qimg.converters.compare;

import java.io.IOException;
import java.util.Optional;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;

/**
 * The allocation status of a guest range through a whole backing chain, without reading data: as QEMU's
 * {@code bdrv_block_status_above(bs, NULL, ...)} sees it.
 *
 * @param length    bytes from the queried offset that share this status (&gt; 0)
 * @param allocated some layer of the chain stores data or a zero marker for the range
 * @param zero      the range is known to read as zeros (zero marker, hole, or unallocated everywhere)
 */
public record ChainStatus(long length, boolean allocated, boolean zero) {

    /** Status of {@code image} (and its backing chain) at {@code offset}, at most {@code max} bytes. */
    public static ChainStatus at(DiskImage image, long offset, long max) throws IOException {
        Extent e = image.extentAt(offset, max);
        long len = Math.min(e.length(), max);
        switch (e.status()) {
            case DATA:
                return new ChainStatus(len, true, false);
            case ZERO:
                return new ChainStatus(len, true, true);
            default:
                break;
        }
        Optional<DiskImage> backing = image.backing();
        if (backing.isEmpty() || offset >= backing.get().virtualSize()) {
            return new ChainStatus(len, false, true);
        }
        DiskImage b = backing.get();
        return at(b, offset, Math.min(len, b.virtualSize() - offset));
    }
}
