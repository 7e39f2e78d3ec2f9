package org.qimg.converters.chain;

import java.io.IOException;
import java.util.Optional;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;

/**
 * Combines per-layer {@link DiskImage#extentAt} answers down the backing chain, the way qemu-img's
 * {@code get_block_status} does: stop at the first layer that has data or a zero flag; a range that is
 * unallocated in a layer without backing file, or that lies beyond the end of the backing file, reads as
 * zeros and is not present. Never reads guest data.
 */
public final class ChainWalker {
    private ChainWalker() {
    }

    /** Status of the longest run at {@code offset} (at most {@code maxLength}) through the whole chain. */
    public static BlockStatus statusAt(DiskImage top, long offset, long maxLength) throws IOException {
        return statusAt(top, offset, maxLength, Integer.MAX_VALUE);
    }

    /**
     * Like {@link #statusAt(DiskImage, long, long)} but looks at most {@code maxDepth} backing levels down;
     * with {@code maxDepth = 0} a range unallocated in the top layer is reported with
     * {@code present = false, zero = false, data = false} (it comes from whatever backs the top).
     */
    public static BlockStatus statusAt(DiskImage top, long offset, long maxLength, int maxDepth)
            throws IOException {
        DiskImage layer = top;
        long length = Math.min(maxLength, top.virtualSize() - offset);
        int depth = 0;
        while (true) {
            Extent e = layer.extentAt(offset, length);
            length = Math.min(length, e.length());
            // QEMU's raw driver always reports a host offset (the guest offset), holes included. A qcow2
            // layer reports one wherever the cluster keeps a host cluster, whatever its status.
            long host = e.hostOffset() >= 0 ? e.hostOffset() : "raw".equals(layer.formatName()) ? offset : -1;
            switch (e.status()) {
                case DATA:
                    return new BlockStatus(offset, length, depth, true, e.hostZero(), true, host, layer);
                case ZERO:
                    return new BlockStatus(offset, length, depth, true, true, false, host, layer);
                default:
                    break;
            }
            // Unallocated here: the answer comes from below, unless nothing is below (or the range lies
            // past its end), where QEMU reads zeros and keeps this layer's host offset, if any.
            Optional<DiskImage> below = layer.backing();
            if (below.isEmpty()) {
                return new BlockStatus(offset, length, depth, false, true, false, host, layer);
            }
            if (depth >= maxDepth) {
                return new BlockStatus(offset, length, depth, false, false, false, host, layer);
            }
            DiskImage next = below.get();
            if (offset >= next.virtualSize()) {
                return new BlockStatus(offset, length, depth, false, true, false, host, layer);
            }
            length = Math.min(length, next.virtualSize() - offset);
            layer = next;
            depth++;
        }
    }
}
