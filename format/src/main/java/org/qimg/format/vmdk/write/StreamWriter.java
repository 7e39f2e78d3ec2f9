package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.SparseLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.DescriptorLayout;
import org.qimg.format.vmdk.layout.ExtentLine;
import org.qimg.format.vmdk.layout.Marker;
import org.qimg.format.vmdk.layout.SparseHeader;

/**
 * A new streamOptimized image laid out as VMware's vmdk-convert (vmware/open-vmdk) lays it out: header
 * (version 3, flags: newline test, compressed grains, markers; no redundant directory), embedded descriptor
 * (20 sectors), grain directory and all grain tables right after it ({@code gdOffset} in the header, not
 * {@code GD_AT_END}), then the grains back to back from {@code overhead}, each a grain marker (LBA, compressed
 * size) and a zlib stream padded to a sector, in guest order; an end-of-stream marker closes the file. All-zero
 * grains are not stored. The last grain of a disk whose size is not a multiple of 64 KiB holds only the
 * disk's bytes, as both QEMU and vmdk-convert compress it.
 *
 * <p>Grains normally arrive compressed ({@link #writeCompressed}, by the caller's worker threads with
 * {@link GrainDeflater}); a grain that arrives plain is compressed here. Output depends only on the data.
 */
public final class StreamWriter implements ClusterSink {
    private final FileChannel channel;
    private final Path path;
    private final VmdkCreateOptions options;
    private final SparseGeometry geometry;
    private final long gdSector;
    private final long overhead;
    private final GrainTables tables;
    private final SequentialOut out;
    private final ContentId contentId = new ContentId();
    private final ByteBuffer marker = ByteBuffer.allocate(Marker.GRAIN_DATA_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
    private GrainDeflater deflater;
    private ByteBuffer scratch;

    private StreamWriter(FileChannel channel, Path path, VmdkCreateOptions options) throws ImageLimitException {
        this.channel = channel;
        this.path = path;
        this.options = options;
        this.geometry = SparseGeometry.of(options.capacitySectors());
        this.gdSector = DescriptorLayout.EMBEDDED_OFFSET + DescriptorLayout.EMBEDDED_SECTORS;
        this.overhead = gdSector + geometry.gdSectors() + geometry.gtSectorsTotal();
        this.tables = new GrainTables(channel, gdSector + geometry.gdSectors());
        this.out = new SequentialOut(channel, overhead * SECTOR, 4 << 20);
    }

    public static StreamWriter create(FileChannel channel, Path path, VmdkCreateOptions options) throws IOException {
        StreamWriter w = new StreamWriter(channel, path, options);
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
        ByteBuffer grain = data.duplicate();
        grain.limit(grain.position() + geometry.grainDataBytes(index));
        store(index, compress(grain));
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) throws IOException {
        geometry.checkIndex(index);
        int bytes = geometry.grainDataBytes(index);
        if (bytes < SparseGeometry.GRAIN_BYTES) {
            // the caller compressed the zero-padded grain: store only the disk's bytes, as QEMU and VMware do
            store(index, compress(inflate(payload).limit(bytes)));
        } else {
            store(index, payload.duplicate());
        }
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

    private void store(long index, ByteBuffer stream) throws IOException {
        long sector = out.position() / SECTOR;
        int length = stream.remaining();
        int stored = Marker.GRAIN_DATA_OFFSET + length;
        int padded = (stored + SECTOR - 1) / SECTOR * SECTOR;
        SparseGeometry.checkAddressable(path, index, sector + padded / SECTOR);
        contentId.grain(index, stream);
        marker.clear();
        marker.putLong(Marker.OFF_LBA, index * SparseGeometry.GRAIN_SECTORS).putInt(Marker.OFF_SIZE, length);
        out.put(marker);
        out.put(stream);
        out.zeros(padded - stored);
        tables.set(index, sector);
    }

    private ByteBuffer compress(ByteBuffer grain) {
        if (deflater == null) {
            deflater = new GrainDeflater();
            scratch = ByteBuffer.allocate(GrainDeflater.bound(SparseGeometry.GRAIN_BYTES));
        }
        scratch.clear();
        int n = deflater.compress(grain, scratch);
        if (n < 0) {
            throw new IllegalStateException("deflate exceeded its bound");
        }
        return scratch.flip();
    }

    private ByteBuffer inflate(ByteBuffer payload) throws ImageException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(payload.duplicate());
            ByteBuffer grain = ByteBuffer.allocate(SparseGeometry.GRAIN_BYTES);
            while (!inf.finished() && grain.hasRemaining()) {
                if (inf.inflate(grain) == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
            }
            if (!inf.finished()) {
                throw new ImageException("'" + path + "': a compressed grain did not inflate to a whole grain");
            }
            return grain.flip();
        } catch (DataFormatException e) {
            throw new ImageException("'" + path + "': a compressed grain is not a zlib stream: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
    }

    @Override
    public void finish() throws IOException {
        out.put(Marker.metadata(Marker.TYPE_EOS, 0));
        out.flush();
        tables.flush();
        ExtentLine extent = DescriptorText.ownExtent(path, geometry.capacity());
        long cap = geometry.capacity();
        DescriptorText.writeEmbedded(channel, path,
                DescriptorText.vmware(options, contentId.cid(cap), contentId.longContentId(cap), extent));
        Positional.writeFully(channel, header().encode(), 0);
    }

    private SparseHeader header() {
        long flags = FLAG_VALID_NEWLINE_TEST | FLAG_COMPRESSED | FLAG_MARKERS
                | (options.zeroedGrain() ? FLAG_ZEROED_GRAIN_GTE : 0);
        return new SparseHeader(MAGIC, 3, flags, geometry.capacity(), SparseGeometry.GRAIN_SECTORS,
                DescriptorLayout.EMBEDDED_OFFSET, DescriptorLayout.EMBEDDED_SECTORS, GTES_PER_GT, 0, gdSector,
                overhead, 0, SparseHeader.validNewlineTest(), COMPRESSION_DEFLATE);
    }

    @Override
    public void close() {
        if (deflater != null) {
            deflater.close();
            deflater = null;
        }
    }
}
