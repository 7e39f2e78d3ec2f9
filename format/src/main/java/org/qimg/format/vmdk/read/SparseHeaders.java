package org.qimg.format.vmdk.read;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.CowdLayout;
import org.qimg.format.vmdk.layout.Marker;
import org.qimg.format.vmdk.layout.SparseHeader;

/**
 * QEMU 7.2's rules for opening a sparse extent (vmdk_open_vmdk4, vmdk_open_vmfs_sparse, vmdk_add_extent),
 * applied to the decoded header before anything it sizes is allocated, with qemu-img's messages; and the
 * grain directory read once they pass.
 */
final class SparseHeaders {
    /** QEMU's limit on grain directory entries ("L1 size too big"). */
    static final long MAX_GD_ENTRIES = 32L * 1024 * 1024;
    /** QEMU's limit on sectors per grain ("Invalid granularity"). */
    static final long MAX_GRAIN_SECTORS = 0x200000;
    /** qimg's limit on compressed grains: each reading thread holds three grains' worth of buffers. */
    static final long MAX_COMPRESSED_GRAIN = 16L << 20;
    /** Bytes QEMU reads for a streamOptimized footer: footer marker, footer, end-of-stream marker. */
    static final int FOOTER_BYTES = 3 * SECTOR;

    private SparseHeaders() {
    }

    /** Grain directory entries one image may hold in memory, over all its extents (QEMU's limit for one). */
    static final class Budget {
        private long left = MAX_GD_ENTRIES;

        void take(String file, long entries) throws ImageLimitException {
            if (entries > left) {
                throw new ImageLimitException(file + ": the grain directories of this image's extents hold more"
                        + " than " + MAX_GD_ENTRIES + " entries together; qimg does not read such images");
            }
            left -= entries;
        }
    }

    /**
     * The header a KDMV extent is read with: its own, or the footer's when {@code gdOffset} is
     * {@link org.qimg.format.vmdk.layout.SparseLayout#GD_AT_END} (read, as QEMU reads it, from 1536 bytes
     * before the end of the file counted in whole sectors).
     */
    static SparseHeader effective(ExtentFiles.Opened f, SparseHeader h) throws IOException {
        String file = f.path().toString();
        if (h.gdOffset() != GD_AT_END) {
            return h;
        }
        long at = (f.length() & ~(SECTOR - 1L)) - FOOTER_BYTES;
        if (at < 0) {
            throw new CorruptImageException(file, -1, "Invalid footer: the file (" + f.length() + " bytes) is too"
                    + " short for the footer the header announces");
        }
        ByteBuffer b = ByteBuffer.allocate(FOOTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Positional.readFully(f.channel(), b, at, f.path());
        boolean ok = b.getInt(Marker.OFF_SIZE) == 0 && b.getInt(Marker.OFF_TYPE) == Marker.TYPE_FOOTER
                && b.getInt(SECTOR + OFF_MAGIC) == MAGIC
                && b.getLong(2 * SECTOR + Marker.OFF_LBA) == 0 && b.getInt(2 * SECTOR + Marker.OFF_SIZE) == 0
                && b.getInt(2 * SECTOR + Marker.OFF_TYPE) == Marker.TYPE_EOS;
        if (!ok) {
            throw new CorruptImageException(file, at, "Invalid footer (expected a footer marker, a KDMV footer and"
                    + " an end-of-stream marker in the last three sectors)");
        }
        return SparseHeader.decode(b.position(SECTOR).slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Builds the extent of a KDMV header {@code h} (already the effective one) in file {@code f}. */
    static SparseExtent vmdk4(ExtentFiles.Opened f, SparseHeader h, String type, GrainTableCache cache,
                              Budget budget) throws IOException {
        String file = f.path().toString();
        if (h.version() > 3) {
            throw new UnsupportedFeatureException(file + ": Unsupported VMDK version " + h.version());
        }
        if (h.numGTEsPerGT() > GTES_PER_GT) {
            throw new CorruptImageException(file, OFF_NUM_GTES_PER_GT, "L2 table size too big ("
                    + h.numGTEsPerGT() + " grain table entries per table; at most " + GTES_PER_GT + ")");
        }
        if (h.numGTEsPerGT() == 0 || h.grainSize() == 0) {
            throw new CorruptImageException(file, h.grainSize() == 0 ? OFF_GRAIN_SIZE : OFF_NUM_GTES_PER_GT,
                    "L1 entry size is invalid (grain size " + h.grainSize() + " sectors, " + h.numGTEsPerGT()
                            + " entries per grain table)");
        }
        long sectors = f.length() / SECTOR;
        if (h.overhead() < 0 || sectors < h.overhead()) {
            throw new CorruptImageException(file, OFF_OVERHEAD, "File truncated, expecting at least "
                    + (h.overhead() < 0 ? Long.toUnsignedString(h.overhead()) + " sectors" : h.overhead() * SECTOR
                    + " bytes") + " (the file has " + f.length() + ")");
        }
        grainRules(file, h.grainSize(), OFF_GRAIN_SIZE, h.hasFlag(FLAG_COMPRESSED)
                || h.compressAlgorithm() == COMPRESSION_DEFLATE);
        if (Long.bitCount(h.numGTEsPerGT()) != 1) {
            throw new UnsupportedFeatureException(file + ": " + h.numGTEsPerGT() + " grain table entries per table is"
                    + " not a power of two; qimg does not read such extents");
        }
        if (h.capacity() < 0 || h.capacity() > Long.MAX_VALUE / SECTOR) {
            throw new ImageLimitException(file + ": capacity of " + Long.toUnsignedString(h.capacity())
                    + " sectors is too large");
        }
        long perGt = h.numGTEsPerGT() * h.grainSize();
        long gdEntries = (h.capacity() + perGt - 1) / perGt;
        boolean compressed = h.compressAlgorithm() == COMPRESSION_DEFLATE;
        int[] gd = directory(f, h.gdOffset(), gdEntries, OFF_GD_OFFSET, budget);
        return new SparseExtent(f.path(), f.channel(), f.length(), type, h.capacity() * SECTOR,
                (int) (h.grainSize() * SECTOR), (int) h.numGTEsPerGT(), gd, h.gdOffset() * SECTOR, compressed,
                h.hasFlag(FLAG_MARKERS), h.hasFlag(FLAG_ZEROED_GRAIN_GTE), cache);
    }

    /** Builds the extent of a COWD file (QEMU's vmdk_open_vmfs_sparse: the directory size is the header's). */
    static SparseExtent cowd(ExtentFiles.Opened f, String type, GrainTableCache cache, Budget budget)
            throws IOException {
        String file = f.path().toString();
        if (f.length() < CowdLayout.HEADER_BYTES) {
            throw new CorruptImageException(file, 0, "File truncated: a COWD header has " + CowdLayout.HEADER_BYTES
                    + " bytes, the file " + f.length());
        }
        ByteBuffer b = ByteBuffer.allocate(CowdLayout.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Positional.readFully(f.channel(), b, 0, f.path());
        long sectors = Integer.toUnsignedLong(b.getInt(CowdLayout.OFF_DISK_SECTORS));
        long grain = Integer.toUnsignedLong(b.getInt(CowdLayout.OFF_GRANULARITY));
        long gdSector = Integer.toUnsignedLong(b.getInt(CowdLayout.OFF_L1DIR_OFFSET));
        long gdEntries = Integer.toUnsignedLong(b.getInt(CowdLayout.OFF_L1DIR_SIZE));
        if (grain == 0) {
            throw new CorruptImageException(file, CowdLayout.OFF_GRANULARITY, "L1 entry size is invalid (grain size 0)");
        }
        grainRules(file, grain, CowdLayout.OFF_GRANULARITY, false);
        int[] gd = directory(f, gdSector, gdEntries, CowdLayout.OFF_L1DIR_SIZE, budget);
        return new SparseExtent(f.path(), f.channel(), f.length(), type, sectors * SECTOR, (int) (grain * SECTOR),
                CowdLayout.GTES_PER_GT, gd, gdSector * SECTOR, false, false, false, cache);
    }

    private static void grainRules(String file, long grain, int field, boolean compressed) throws IOException {
        if (grain < 0 || grain > MAX_GRAIN_SECTORS) {
            throw new CorruptImageException(file, field, "Invalid granularity, image may be corrupt (grain size "
                    + Long.toUnsignedString(grain) + " sectors; at most " + MAX_GRAIN_SECTORS + ")");
        }
        if (Long.bitCount(grain) != 1) {
            throw new UnsupportedFeatureException(file + ": grain size " + grain + " sectors is not a power of two;"
                    + " qimg does not read such extents");
        }
        if (compressed && grain * SECTOR > MAX_COMPRESSED_GRAIN) {
            throw new ImageLimitException(file + ": compressed grains of " + grain * SECTOR + " bytes are larger than"
                    + " qimg reads (" + MAX_COMPRESSED_GRAIN + ")");
        }
    }

    /** Reads a grain directory of {@code entries} entries at {@code sector}, which must lie inside the file. */
    private static int[] directory(ExtentFiles.Opened f, long sector, long entries, int field, Budget budget)
            throws IOException {
        String file = f.path().toString();
        if (entries > MAX_GD_ENTRIES) {
            throw new ImageLimitException(file + ": L1 size too big (a grain directory of " + entries
                    + " entries; at most " + MAX_GD_ENTRIES + ")");
        }
        long bytes = 4 * entries;
        if (sector < 0 || sector > (f.length() - bytes) / SECTOR || sector * SECTOR > f.length() - bytes) {
            throw new CorruptImageException(file, field, "the grain directory at sector "
                    + Long.toUnsignedString(sector) + " (" + entries + " entries) lies past the end of the file ("
                    + f.length() + " bytes)");
        }
        budget.take(file, entries);
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        Positional.readFully(f.channel(), b, sector * SECTOR, f.path());
        int[] gd = new int[(int) entries];
        b.flip().asIntBuffer().get(gd);
        return gd;
    }
}
