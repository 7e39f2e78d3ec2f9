package org.qimg.converters.ova;

/**
 * What the descriptor says about the disk besides its file's size: {@code capacity}, the guest size in bytes,
 * and {@code populatedSize}, the guest bytes the VMDK stores (its allocated grains, as VMware's
 * {@code vmdk-convert -i} counts "used"), which importers use to estimate the space a thin disk takes.
 */
public record DiskFacts(long capacity, long populatedSize) {
    public DiskFacts {
        if (capacity < 0 || populatedSize < 0) {
            throw new IllegalArgumentException("negative disk size: " + capacity + ", " + populatedSize);
        }
    }
}
