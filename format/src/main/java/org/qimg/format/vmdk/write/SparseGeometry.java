package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import java.nio.file.Path;
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
    /** The most grain tables (directory entries) QEMU opens: 32 Mi (a 1 PiB disk). */
    static final long MAX_TABLES = 32L * 1024 * 1024;

    static SparseGeometry of(long capacitySectors) throws ImageLimitException {
        long grains = (capacitySectors + GRAIN_SECTORS - 1) / GRAIN_SECTORS;
        long gts = (grains + GTES_PER_GT - 1) / GTES_PER_GT;
        // QEMU refuses to open an extent of more tables ("L1 size too big"; qemu-img 7.2 creates a broken file
        // for them), and tables are addressed by 32-bit sector numbers
        if (gts > MAX_TABLES || gts * GT_SECTORS * 2 > MAX_SECTOR) {
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
     * Writes a grain directory at {@code atSector} whose table {@code i} is at sector
     * {@code firstTable + i * GT_SECTORS}, as both QEMU and vmdk-convert lay them out (tables back to back after
     * the directory); in pieces of at most 1 MiB, whatever the directory's size.
     */
    void writeDirectory(java.nio.channels.FileChannel ch, long atSector, long firstTable) throws java.io.IOException {
        int perPiece = (1 << 20) / ENTRY_BYTES;
        java.nio.ByteBuffer piece = java.nio.ByteBuffer.allocate(1 << 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long bytes = (long) gdSectors * SECTOR;
        for (long first = 0; first * ENTRY_BYTES < bytes; first += perPiece) {
            piece.clear();
            int n = (int) Math.min(perPiece, bytes / ENTRY_BYTES - first);
            for (int i = 0; i < n; i++) {
                long t = first + i;
                piece.putInt(i * ENTRY_BYTES, t < gtCount ? (int) (firstTable + t * GT_SECTORS) : 0);
            }
            piece.limit(n * ENTRY_BYTES);
            org.qimg.format.io.Positional.writeFully(ch, piece, atSector * SECTOR + first * ENTRY_BYTES);
        }
    }

    /** Refuses a grain index outside the image (a caller's mistake, not bad input). */
    void checkIndex(long index) {
        if (index < 0 || index >= grains) {
            throw new IllegalArgumentException("grain " + index + " outside the image (" + grains + ")");
        }
    }

    /**
     * Refuses to store grain {@code index} of {@code path} when its stored bytes would end past sector
     * {@code endSector} &gt; {@link #MAX_SECTOR}, which the 32-bit grain table entries cannot address.
     */
    static void checkAddressable(Path path, long index, long endSector) throws ImageLimitException {
        if (endSector > MAX_SECTOR) {
            throw new ImageLimitException("'" + path + "': grain " + index + " would be stored beyond sector "
                    + MAX_SECTOR + ", which vmdk grain tables cannot address");
        }
    }
}
