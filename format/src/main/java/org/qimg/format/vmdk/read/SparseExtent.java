package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.CorruptImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.SparseLayout;

/**
 * A sparse extent (hosted "KDMV" or "COWD"): a grain directory of grain table sectors, grain tables of grain
 * sectors, as QEMU's get_cluster_offset walks them. Entry 0 is an unallocated grain; with the zeroed-grain
 * flag, entry 1 is a grain of zeros; in a compressed extent an entry is the sector of a grain marker (or of
 * the compressed bytes, without markers). Grain tables are read on demand, validated against the end of the
 * file, and kept in a bounded {@link GrainTableCache}.
 */
final class SparseExtent extends ExtentMap {
    private final int grainBytes;
    private final int gtEntries;
    private final int[] gd;
    private final long gdOffset;
    private final boolean compressed;
    private final boolean markers;
    private final boolean zeroedGrain;
    private final GrainTableCache cache;

    /**
     * @param gd       grain directory entries (unsigned sector numbers held in ints)
     * @param gdOffset byte offset of the grain directory in the file (for messages)
     */
    SparseExtent(Path file, FileChannel channel, long fileLength, String type, long length, int grainBytes,
                 int gtEntries, int[] gd, long gdOffset, boolean compressed, boolean markers, boolean zeroedGrain,
                 GrainTableCache cache) {
        super(file, channel, fileLength, type, length);
        this.grainBytes = grainBytes;
        this.gtEntries = gtEntries;
        this.gd = gd;
        this.gdOffset = gdOffset;
        this.compressed = compressed;
        this.markers = markers;
        this.zeroedGrain = zeroedGrain;
        this.cache = cache;
    }

    @Override
    int grainBytes() {
        return grainBytes;
    }

    @Override
    boolean compressed() {
        return compressed;
    }

    boolean markers() {
        return markers;
    }

    private long gtSpan() {
        return (long) grainBytes * gtEntries;
    }

    @Override
    Run map(long offset, long max) throws IOException {
        long end = offset + Math.min(max, length - offset);
        long gdIndex = offset / gtSpan();
        if (gdIndex >= gd.length) {
            throw new CorruptImageException(file.toString(), gdOffset, "guest offset " + offset + " of the extent is"
                    + " beyond its grain directory of " + gd.length + " entries");
        }
        long gtEnd = Math.min(end, (gdIndex + 1) * gtSpan());
        long gtSector = Integer.toUnsignedLong(gd[(int) gdIndex]);
        if (gtSector == 0) {
            return new Run(Kind.UNALLOCATED, gtEnd - offset, -1);
        }
        int[] gt = table(gtSector, gdIndex);
        long grain = offset / grainBytes;
        int idx = (int) (grain % gtEntries);
        long first = Integer.toUnsignedLong(gt[idx]);
        Kind kind = kindOf(first);
        long inGrain = offset - grain * grainBytes;
        long host = switch (kind) {
            case DATA -> first * SparseLayout.SECTOR + inGrain;
            case COMPRESSED -> first * SparseLayout.SECTOR;
            default -> -1;
        };
        long pos = (grain + 1) * grainBytes;
        long expect = first + grainBytes / SparseLayout.SECTOR;
        while (pos < gtEnd) {
            idx++;
            long e = Integer.toUnsignedLong(gt[idx]);
            if (kindOf(e) != kind || (kind == Kind.DATA && e != expect)) {
                break;
            }
            expect = e + grainBytes / SparseLayout.SECTOR;
            pos += grainBytes;
        }
        return new Run(kind, Math.min(pos, gtEnd) - offset, host);
    }

    private Kind kindOf(long entry) {
        if (entry == 0) {
            return Kind.UNALLOCATED;
        }
        if (zeroedGrain && entry == SparseLayout.GTE_ZEROED) {
            return Kind.ZERO;
        }
        return compressed ? Kind.COMPRESSED : Kind.DATA;
    }

    private int[] table(long sector, long gdIndex) throws IOException {
        int[] gt = cache.get(this, sector);
        if (gt != null) {
            return gt;
        }
        long at = sector * SparseLayout.SECTOR;
        long bytes = 4L * gtEntries;
        if (at > fileLength - bytes) {
            throw new CorruptImageException(file.toString(), gdOffset + 4 * gdIndex, "grain directory entry "
                    + gdIndex + " points to a grain table at offset " + at + " (" + bytes + " bytes) past the end of"
                    + " the file (" + fileLength + " bytes)");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        Positional.readFully(channel, b, at, file);
        gt = new int[gtEntries];
        b.flip().asIntBuffer().get(gt);
        cache.put(this, sector, gt);
        return gt;
    }

    @Override
    void readData(long host, ByteBuffer dst, long guest) throws IOException {
        if (host > fileLength - dst.remaining()) {
            throw new CorruptImageException(file.toString(), host, "the grain for guest offset " + guest + " extends"
                    + " past the end of the file (" + fileLength + " bytes): the file is truncated");
        }
        Positional.readFully(channel, dst, host, file);
    }

    /**
     * Where the compressed bytes of the grain at {@code host} are and how many there are: after the 12-byte
     * marker (its size field) in an extent with markers, else the grain's worth of bytes from {@code host}.
     * Returns {offset, length}.
     */
    long[] payload(long host, long guest) throws IOException {
        if (host >= fileLength) {
            throw new CorruptImageException(file.toString(), host, "the compressed grain for guest offset " + guest
                    + " starts past the end of the file (" + fileLength + " bytes)");
        }
        if (!markers) {
            return new long[] {host, Math.min(grainBytes, fileLength - host)};
        }
        if (host > fileLength - SparseLayout.SECTOR) {
            throw new CorruptImageException(file.toString(), host, "the grain marker for guest offset " + guest
                    + " is cut by the end of the file (" + fileLength + " bytes)");
        }
        ByteBuffer m = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        Positional.readFully(channel, m, host, file);
        long size = Integer.toUnsignedLong(m.getInt(org.qimg.format.vmdk.layout.Marker.OFF_SIZE));
        long data = host + org.qimg.format.vmdk.layout.Marker.GRAIN_DATA_OFFSET;
        if (size == 0 || size > 2L * grainBytes) {
            throw new CorruptImageException(file.toString(), host, "the grain marker for guest offset " + guest
                    + " gives " + size + " compressed bytes (expected 1 to " + 2L * grainBytes + ")");
        }
        if (data > fileLength - size) {
            throw new CorruptImageException(file.toString(), host, "the compressed grain for guest offset " + guest
                    + " (" + size + " bytes) is truncated by the end of the file (" + fileLength + " bytes)");
        }
        return new long[] {data, size};
    }
}
