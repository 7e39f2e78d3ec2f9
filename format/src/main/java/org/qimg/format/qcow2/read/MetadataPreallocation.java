package org.qimg.format.qcow2.read;

import static org.qimg.format.qcow2.layout.Entries.REFTABLE_OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.Extent;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.RefcountCodec;
import org.qimg.format.raw.HostBlockStatus;
import org.qimg.format.raw.HostFiles;

/**
 * QEMU's treatment of metadata-preallocated images in block status. On the first query QEMU guesses
 * whether the image was preallocated: it counts the clusters of the image file whose refcount is not zero
 * and compares that with how much of the file is really allocated ({@code st_blocks}); when at least
 * max(10/9 of the allocated clusters, allocated clusters + 2) clusters are in use, the image counts as
 * preallocated. Then every data run is also looked up in the data file's hole map: data over a hole, or
 * past the end of the file, reads as zeros, and runs are cut at the file's data/hole boundaries.
 *
 * <p>The guess is made once, lazily (only extent queries need it, never reads), and costs one pass over
 * the refcount blocks that cover the file, one block in memory at a time. Safe for concurrent use; shared
 * by an image and its snapshot views, closed by the image that owns the files.
 */
final class MetadataPreallocation {
    private static final int TABLE_CHUNK_ENTRIES = 8192;

    private final Qcow2Header header;
    private final FileChannel channel;
    private final Path dataPath;
    private final long dataLength;
    private volatile Boolean detected;
    private HostBlockStatus holes;

    MetadataPreallocation(Qcow2Header header, FileChannel channel, Path dataPath, long dataLength) {
        this(header, channel, dataPath, dataLength, true);
    }

    /**
     * With {@code hostFile} false the image is no host file of its own (the content of a container): its
     * allocation says nothing, and preallocation is taken as absent.
     */
    MetadataPreallocation(Qcow2Header header, FileChannel channel, Path dataPath, long dataLength, boolean hostFile) {
        if (!hostFile) {
            this.detected = Boolean.FALSE;
        }
        this.header = header;
        this.channel = channel;
        this.dataPath = dataPath;
        this.dataLength = dataLength;
    }

    /** The data run at guest {@code offset}, {@code length} bytes at host {@code host}, as QEMU reports it. */
    Extent dataExtent(long offset, long length, long host) throws IOException {
        HostBlockStatus h = detected() ? holes : null;
        if (h == null) {
            return new Extent(offset, length, Extent.Status.DATA, host, false);
        }
        // The data file as QEMU's block layer sees it: whole 512-byte sectors.
        long total = roundUpToSector(dataLength);
        if (host >= total) {
            return new Extent(offset, length, Extent.Status.DATA, host, false, true);
        }
        long bytes = Math.min(length, total - host);
        HostBlockStatus.Run run = h.at(host, bytes);
        if (run.zero() && host + run.length() == total) {
            // a hole up to the end of the file: all of the run reads as zeros, past the end as well
            return new Extent(offset, length, Extent.Status.DATA, host, false, true);
        }
        return new Extent(offset, run.length(), Extent.Status.DATA, host, false, run.zero());
    }

    private boolean detected() throws IOException {
        Boolean d = detected;
        if (d == null) {
            synchronized (this) {
                d = detected;
                if (d == null) {
                    d = detect();
                    if (d) {
                        holes = HostBlockStatus.open(dataPath);
                    }
                    detected = d;
                }
            }
        }
        return d;
    }

    /** QEMU 7.2's qcow2_detect_metadata_preallocation; a refcount structure it cannot use means "no". */
    private boolean detect() throws IOException {
        long fileLength = roundUpToSector(header.fileLength());
        int clusterBits = header.clusterBits();
        long realClusters = HostFiles.allocatedBytes(header.file()) >>> clusterBits;
        long threshold = Math.max(realClusters * 10 / 9, realClusters + 2);
        long endCluster = (fileLength + (1L << clusterBits) - 1) >>> clusterBits;
        int blockBits = clusterBits + 3 - header.refcountOrder();
        long tableEntries = Integer.toUnsignedLong(header.refcountTableClusters()) << (clusterBits - 3);
        long neededEntries = Math.min(tableEntries, (endCluster + (1L << blockBits) - 1) >>> blockBits);
        ByteBuffer table = ByteBuffer.allocate(8 * (int) Math.min(neededEntries, TABLE_CHUNK_ENTRIES));
        ByteBuffer block = ByteBuffer.allocate(1 << clusterBits);
        long count = 0;
        for (long ti = 0; ti < neededEntries && count < threshold; ti++) {
            int inChunk = (int) (ti % TABLE_CHUNK_ENTRIES);
            if (inChunk == 0) {
                table.clear().limit(8 * (int) Math.min(TABLE_CHUNK_ENTRIES, neededEntries - ti));
                readPadded(table, header.refcountTableOffset() + 8 * ti);
            }
            long blockOffset = table.getLong(8 * inChunk) & REFTABLE_OFFSET_MASK;
            if (blockOffset == 0) {
                continue;
            }
            if ((blockOffset & ((1L << clusterBits) - 1)) != 0) {
                return false; // QEMU flags the image corrupt here, and the guess fails
            }
            block.clear();
            readPadded(block, blockOffset);
            long first = ti << blockBits;
            int n = (int) Math.min(1L << blockBits, endCluster - first);
            count += nonZero(block, n, header.refcountOrder());
        }
        return count >= threshold;
    }

    /** Fills {@code dst} from {@code offset}; what lies past the end of the file reads as zeros. */
    private void readPadded(ByteBuffer dst, long offset) throws IOException {
        // an offset with bit 63 set (a damaged refcount table entry) lies past the end of any file
        long inFile = offset < 0 ? 0 : Math.max(0, Math.min(dst.remaining(), header.fileLength() - offset));
        int limit = dst.limit();
        dst.limit(dst.position() + (int) inFile);
        Positional.readFully(channel, dst, offset, header.file());
        dst.limit(limit);
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    /** The number of non-zero entries among the first {@code n} of a refcount block (a heap buffer). */
    static int nonZero(ByteBuffer block, int n, int order) {
        byte[] b = block.array();
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (RefcountCodec.get(b, i, order) != 0) {
                count++;
            }
        }
        return count;
    }

    private static long roundUpToSector(long n) {
        return (n + 511) & ~511L;
    }

    /** Releases the hole-query descriptor, if one was opened. */
    synchronized void close() {
        if (holes != null) {
            holes.close();
            holes = null;
        }
    }
}
