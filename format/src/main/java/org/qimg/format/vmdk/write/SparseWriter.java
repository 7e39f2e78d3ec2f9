package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.DescriptorLayout;
import org.qimg.format.vmdk.layout.ExtentLine;
import org.qimg.format.vmdk.layout.SparseHeader;

/**
 * A new monolithicSparse image laid out as qemu-img 7.2 lays it out, so that the file equals qemu-img's byte for
 * byte (apart from the CID): header, embedded descriptor (20 sectors), redundant grain directory and tables,
 * grain directory and tables, grains from the next 64 KiB boundary. Grains are stored whole (the last one too,
 * zero-padded) in guest order, each one's entry set in both table copies; a grain is allocated when any of the
 * caller's writes touched it. With {@code zeroed_grain}, zero grains become "reads as zeros" entries.
 */
public final class SparseWriter implements ClusterSink {
    private final FileChannel channel;
    private final Path path;
    private final VmdkCreateOptions options;
    private final SparseGeometry geometry;
    private final long rgdSector;
    private final long gdSector;
    private final long grainStart;
    private final GrainTables tables;
    private final SequentialOut out;
    private final ContentId contentId;
    private final boolean embedded;

    private SparseWriter(FileChannel channel, Path path, VmdkCreateOptions options, ContentId contentId,
                         boolean embedded) throws ImageLimitException {
        this.contentId = contentId;
        this.embedded = embedded;
        this.channel = channel;
        this.path = path;
        this.options = options;
        this.geometry = SparseGeometry.of(options.capacitySectors());
        long tablesBoth = geometry.gdSectors() + geometry.gtSectorsTotal();
        this.rgdSector = DescriptorLayout.EMBEDDED_OFFSET + DescriptorLayout.EMBEDDED_SECTORS;
        this.gdSector = rgdSector + tablesBoth;
        long end = gdSector + tablesBoth;
        this.grainStart = (end + SparseGeometry.GRAIN_SECTORS - 1) / SparseGeometry.GRAIN_SECTORS
                * SparseGeometry.GRAIN_SECTORS;
        this.tables = new GrainTables(channel, rgdSector + geometry.gdSectors(), gdSector + geometry.gdSectors());
        this.out = new SequentialOut(channel, grainStart * SECTOR, 4 << 20);
    }

    /** Starts a new image in the empty {@code channel}: directories now, the header and descriptor at the end. */
    public static SparseWriter create(FileChannel channel, Path path, VmdkCreateOptions options) throws IOException {
        return create(channel, path, options, new ContentId(), true);
    }

    /**
     * A sparse extent of a twoGbMaxExtentSparse image (the options' size is the extent's): as QEMU, its header
     * reserves the 20 descriptor sectors, which stay empty (the descriptor is a file of its own); grains count
     * into {@code contentId}.
     */
    static SparseWriter extent(FileChannel channel, Path path, VmdkCreateOptions options, ContentId contentId)
            throws IOException {
        return create(channel, path, options, contentId, false);
    }

    private static SparseWriter create(FileChannel channel, Path path, VmdkCreateOptions options, ContentId contentId,
                                       boolean embedded) throws IOException {
        SparseWriter w = new SparseWriter(channel, path, options, contentId, embedded);
        w.geometry.writeDirectory(channel, w.rgdSector, w.rgdSector + w.geometry.gdSectors());
        w.geometry.writeDirectory(channel, w.gdSector, w.gdSector + w.geometry.gdSectors());
        return w;
    }

    @Override
    public int clusterSize() {
        return SparseGeometry.GRAIN_BYTES;
    }

    @Override
    public void writePlain(long index, ByteBuffer data) throws IOException {
        geometry.checkIndex(index);
        long sector = out.position() / SECTOR;
        SparseGeometry.checkAddressable(path, index, sector + SparseGeometry.GRAIN_SECTORS);
        ByteBuffer grain = data.duplicate();
        contentId.grain(index, grain);
        out.put(grain);
        tables.set(index, sector);
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) {
        throw new IllegalStateException("a monolithicSparse extent stores no compressed grains");
    }

    @Override
    public void writeZero(long index) throws IOException {
        geometry.checkIndex(index);
        if (options.zeroedGrain()) {
            tables.set(index, GTE_ZEROED);
        } else {
            writePlain(index, ByteBuffer.allocate(SparseGeometry.GRAIN_BYTES));
        }
    }

    @Override
    public void finish() throws IOException {
        out.flush();
        tables.flush();
        long end = Math.max(out.position(), grainStart * SECTOR);
        if (channel.size() < end) {
            // qemu-img's file is at least header and tables rounded up to a grain: extend sparsely
            Positional.writeFully(channel, ByteBuffer.allocate(1), end - 1);
        }
        if (embedded) {
            writeDescriptor();
        }
        Positional.writeFully(channel, header().encode(), 0);
    }

    private void writeDescriptor() throws IOException {
        ExtentLine extent = DescriptorText.ownExtent(path, geometry.capacity());
        DescriptorText.writeEmbedded(channel, path,
                DescriptorText.qemu(options, contentId.cid(geometry.capacity()), java.util.List.of(extent)));
    }

    private SparseHeader header() {
        int version = options.zeroedGrain() ? 2 : 1;
        long flags = FLAG_VALID_NEWLINE_TEST | FLAG_REDUNDANT_GT | (options.zeroedGrain() ? FLAG_ZEROED_GRAIN_GTE : 0);
        return new SparseHeader(MAGIC, version, flags, geometry.capacity(), SparseGeometry.GRAIN_SECTORS,
                DescriptorLayout.EMBEDDED_OFFSET, DescriptorLayout.EMBEDDED_SECTORS, GTES_PER_GT, rgdSector, gdSector,
                grainStart, 0, SparseHeader.validNewlineTest(), COMPRESSION_NONE);
    }

    @Override
    public void close() {
        // nothing held: the channel belongs to the caller
    }
}
