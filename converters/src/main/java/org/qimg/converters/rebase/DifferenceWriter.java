package org.qimg.converters.rebase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import org.qimg.format.ClusterSink;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.ClusterCompressor;
import org.qimg.format.io.NamedChannel;

/**
 * Writes into the image what differs between the old and the new backing content, with qemu-img 7.2's
 * requests: each maximal run of differing 512-byte sectors of a step is one write request
 * ({@code compare_buffers}), of the old content, or of zeros when the step lies wholly past the end of the old
 * backing file ({@code blk_pwrite_zeroes}). A request is handed to the image's sink cluster by cluster, with
 * the cluster's whole guest content (what the image reads there now, which the request does not change) and
 * the subclusters it touches, so that the format allocates exactly what QEMU's driver allocates.
 *
 * <p>Zero requests are split as QEMU's block layer splits them at the image's write-zeroes alignment (the
 * subcluster): whole subclusters become zero subclusters (whole clusters zero clusters); a partial one reads as
 * zeros in place when the rest of it already does, else it is written as data. With {@code -c} each touched
 * cluster is written once, compressed, whole. The format's writer is opened at the first write.
 */
final class DifferenceWriter implements AutoCloseable {
    private static final int SECTOR = 512;

    private final DiskImage top;
    private final Rebaser.Request r;
    private final Consumer<String> notices;
    private FileChannel channel;
    private ClusterSink sink;
    private ClusterCompressor compressor;
    private int clusterSize;
    private int subclusterSize;
    private long lastWritten = -1;
    private ByteBuffer cluster;
    private long clusterIndex = -1;
    private ByteBuffer payload;
    private long runOffset;
    private ByteBuffer runOld;
    private int runLength;
    private long dataEnd;

    DifferenceWriter(DiskImage top, Rebaser.Request r, Consumer<String> notices) {
        this.top = top;
        this.r = r;
        this.notices = notices;
    }

    /**
     * The step at {@code offset} reads {@code old} in the old backing file and {@code neu} in the new one (their
     * first {@code len} bytes); {@code oldZero}: the step lies past the end of the old backing file.
     */
    void differences(long offset, ByteBuffer old, ByteBuffer neu, int len, boolean oldZero) throws IOException {
        open();
        runOffset = offset;
        runOld = old;
        runLength = len;
        clusterIndex = -1; // the cluster cache may hold a part read outside the previous step
        int i = 0;
        while (i < len) {
            int m = old.slice(i, len - i).mismatch(neu.slice(i, len - i));
            if (m < 0) {
                break;
            }
            int start = i + (m / SECTOR) * SECTOR;
            int end = start;
            while (end < len) {
                int s = Math.min(SECTOR, len - end);
                if (old.slice(end, s).equals(neu.slice(end, s))) {
                    break;
                }
                end += s;
            }
            request(offset + start, end - start, oldZero);
            i = end;
        }
    }

    private void open() throws IOException {
        if (sink != null) {
            return;
        }
        ImageFormat f = ImageFormats.writable(top.formatName());
        TargetImage target;
        try {
            target = f.openForGuestWrites(r.file(), r.compress());
        } catch (UnsupportedFeatureException e) {
            if (!"Operation not supported".equals(e.getMessage())) {
                throw e;
            }
            // no driver-like writer for this format: its convert -n updater
            target = f.openForUpdate(r.file(), TargetRequest.of(r.compress()));
        }
        if (target.clusterSize() == 0) {
            throw new ImageException("Error while writing to COW image: Operation not supported");
        }
        clusterSize = target.clusterSize();
        channel = NamedChannel.open(r.file(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        sink = target.start(channel, r.file(), top.virtualSize());
        subclusterSize = sink.subclusterSize();
        cluster = ByteBuffer.allocate(clusterSize);
        if (r.compress()) {
            compressor = target.newCompressor(notices);
            payload = ByteBuffer.allocate(clusterSize);
        }
    }

    /** One write request of {@code length} bytes at guest offset {@code start}. */
    private void request(long start, int length, boolean zero) throws IOException {
        long end = start + length;
        for (long c = start / clusterSize; c * clusterSize < end; c++) {
            long cStart = c * clusterSize;
            int from = (int) (Math.max(start, cStart) - cStart);
            int to = (int) (Math.min(end, cStart + clusterSize) - cStart);
            if (zero) {
                if (compressor == null || c > lastWritten) { // a compressed cluster already holds the zeros
                    zeros(c, from, to);
                }
            } else if (compressor != null) {
                if (c > lastWritten) {
                    writeCompressed(c);
                    lastWritten = c;
                }
                dataEnd = Math.max(dataEnd, cStart + clusterSize);
            } else if (subclusterSize == clusterSize) {
                if (c > lastWritten) { // a later request into the same cluster writes what is already there
                    sink.writePlain(c, content(c), -1, cStart <= start);
                    lastWritten = c;
                }
                dataEnd = Math.max(dataEnd, cStart + clusterSize);
            } else {
                sink.writePlain(c, content(c), mask(from, to), cStart <= start);
                dataEnd = Math.max(dataEnd, cStart + (to + subclusterSize - 1) / subclusterSize * subclusterSize);
            }
        }
    }

    /** Bits of the subclusters (of 32) that bytes {@code from..to} of a cluster touch; all without subclusters. */
    private int mask(int from, int to) {
        if (subclusterSize == clusterSize) {
            return -1;
        }
        int first = from / subclusterSize;
        int last = (to - 1) / subclusterSize;
        return (int) (((1L << (last + 1)) - 1) & ~((1L << first) - 1));
    }

    /** Zeros over bytes {@code from..to} of cluster {@code c}, split at subclusters as QEMU's block layer does. */
    private void zeros(long c, int from, int to) throws IOException {
        int a = roundUp(from);
        int b = to / subclusterSize * subclusterSize;
        if (a > b) { // inside one subcluster, neither end on its boundaries
            partialZero(c, from, to);
            return;
        }
        if (from < a) {
            partialZero(c, from, a);
        }
        if (a < b) {
            int m = mask(a, b);
            if (m == -1) {
                sink.writeZero(c);
            } else {
                sink.writeZeroSubclusters(c, m);
            }
        }
        if (b < to) {
            partialZero(c, b, to);
        }
    }

    private int roundUp(int x) {
        return Math.min(clusterSize, (x + subclusterSize - 1) / subclusterSize * subclusterSize);
    }

    /**
     * Zeros over part of one subcluster: zero in place when the rest of the subcluster already reads as zeros
     * by block status ({@code qcow2_co_pwrite_zeroes}'s {@code is_zero}), else written as data (the block
     * layer's fallback).
     */
    private void partialZero(long c, int from, int to) throws IOException {
        long cStart = c * clusterSize;
        int s = from / subclusterSize * subclusterSize;
        int e = Math.min(clusterSize, s + subclusterSize);
        boolean rest = statusZero(cStart + s, from - s) && statusZero(cStart + to, e - to);
        int m = mask(from, to);
        if (rest) {
            if (m == -1) {
                sink.writeZero(c);
            } else {
                sink.writeZeroSubclusters(c, m);
            }
        } else {
            sink.writePlain(c, content(c), m, true);
        }
    }

    /**
     * True when {@code len} bytes at {@code offset} read as zeros by block status: not written by this rebase
     * (the subcluster is unallocated in the image) and zero or unallocated down the old backing chain, or past
     * its end.
     */
    private boolean statusZero(long offset, long len) throws IOException {
        long end = Math.min(offset + len, top.virtualSize());
        if (offset >= end) {
            return true;
        }
        if (offset / subclusterSize * subclusterSize < dataEnd) {
            return false; // a data request of this rebase allocated it
        }
        return chainZero(top.backing().orElse(null), offset, end);
    }

    private static boolean chainZero(DiskImage image, long offset, long end) throws IOException {
        if (image == null) {
            return true;
        }
        long stop = Math.min(end, image.virtualSize());
        for (long o = offset; o < stop; ) {
            org.qimg.format.Extent x = image.extentAt(o, stop - o);
            long n = Math.min(x.length(), stop - o);
            if (n <= 0 || x.status() == org.qimg.format.Extent.Status.DATA) {
                return false;
            }
            if (x.status() != org.qimg.format.Extent.Status.ZERO
                    && !chainZero(image.backing().orElse(null), o, o + n)) {
                return false;
            }
            o += n;
        }
        return true;
    }

    /**
     * The whole guest content of cluster {@code c} as the image reads it now: from the current step's old content
     * when the step covers the cluster, else read through the image (zeros past its end).
     */
    private ByteBuffer content(long c) throws IOException {
        long cStart = c * clusterSize;
        if (cStart >= runOffset && cStart + clusterSize <= runOffset + runLength) {
            return runOld.slice((int) (cStart - runOffset), clusterSize);
        }
        if (clusterIndex != c) {
            int visible = (int) Math.min(clusterSize, top.virtualSize() - cStart);
            cluster.clear().limit(visible);
            top.read(cStart, cluster);
            Arrays.fill(cluster.array(), visible, clusterSize, (byte) 0);
            clusterIndex = c;
        }
        return cluster.clear().duplicate();
    }

    private void writeCompressed(long c) throws IOException {
        ByteBuffer content = content(c);
        payload.clear();
        int n = compressor.compress(content.duplicate(), payload);
        if (n > 0) {
            sink.writeCompressed(c, payload.duplicate().position(0).limit(n));
            return;
        }
        sink.writePlain(c, content, -1, true);
    }

    void finish() throws IOException {
        if (sink != null) {
            sink.finish();
        }
    }

    @Override
    public void close() throws IOException {
        try (FileChannel ch = channel; ClusterSink s = sink) {
            if (compressor != null) {
                compressor.close();
            }
        }
    }
}
