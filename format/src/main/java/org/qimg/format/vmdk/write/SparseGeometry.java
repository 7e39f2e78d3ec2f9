package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import org.qimg.format.ImageLimitException;

/**
 * The sizes of a new sparse extent's grain directory and grain tables, as QEMU's {@code vmdk_init_extent} and
 * vmdk-convert's {@code getGDGT} compute them (they agree): 128-sector grains, 512 entries per table, one
 * directory entry per table, everything in whole sectors.
 *
 * @param capacity  the extent's size in sectors
 * @param grains    grains covering the capacity (the last one may be partial)
 * @param gtCount   grain tables (and directory entries)
 * @param gdSectors sectors of one grain directory
 */
record SparseGeometry(long capacity, long grains, int gtCount, int gdSectors) {
    static final int GRAIN_SECTORS = DEFAULT_GRAIN_SECTORS;
    static final int GRAIN_BYTES = GRAIN_SECTORS * SECTOR;
    static final int GT_SECTORS = GTES_PER_GT * ENTRY_BYTES / SECTOR;
    /** Grain table and directory entries are 32-bit sector numbers. */
    static final long MAX_SECTOR = 0xffffffffL;

    static SparseGeometry of(long capacitySectors) throws ImageLimitException {
        long grains = (capacitySectors + GRAIN_SECTORS - 1) / GRAIN_SECTORS;
        long gts = (grains + GTES_PER_GT - 1) / GTES_PER_GT;
        // tables are addressed by 32-bit sector numbers: the metadata alone must stay below that
        if (gts * GT_SECTORS * 2 > MAX_SECTOR) {
            throw new ImageLimitException("The image size is too large for file format 'vmdk'");
        }
        int gdSectors = (int) ((gts * ENTRY_BYTES + SECTOR - 1) / SECTOR);
        return new SparseGeometry(capacitySectors, grains, (int) gts, gdSectors);
    }

    /** Sectors of all grain tables. */
    long gtSectorsTotal() {
        return (long) gtCount * GT_SECTORS;
    }

    /** Bytes of the guest data in grain {@code index} (less than a grain only for a partial last grain). */
    int grainDataBytes(long index) {
        long start = index * GRAIN_SECTORS;
        return (int) (Math.min(GRAIN_SECTORS, capacity - start) * SECTOR);
    }

    /**
     * A grain directory whose table {@code i} is at sector {@code firstTable + i * GT_SECTORS}, as both QEMU and
     * vmdk-convert lay them out (tables back to back after the directory), in its stored form.
     */
    java.nio.ByteBuffer directory(long firstTable) {
        java.nio.ByteBuffer gd = java.nio.ByteBuffer.allocate(gdSectors * SECTOR).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < gtCount; i++) {
            gd.putInt(i * ENTRY_BYTES, (int) (firstTable + (long) i * GT_SECTORS));
        }
        return gd;
    }
}
