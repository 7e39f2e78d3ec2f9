package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.qimg.converters.chain.BlockStatus;
import org.qimg.converters.chain.ChainWalker;
import org.qimg.format.DiskImage;

/**
 * Several source images seen as one guest disk, one after the other, as {@code qemu-img convert SRC1 SRC2 DST}
 * concatenates them. Thread-safe for reads (the images are).
 */
final class ConcatSource {
    /** What the planner needs to know of a run without reading it. */
    enum Kind { DATA, ZERO, SKIP }

    record Run(long length, Kind kind) {
    }

    private final List<DiskImage> images;
    private final long[] starts;
    private final long size;
    private final int maxDepth;
    private final long[] alignments;
    private static final int SECTOR = 512;
    /** Null, or where --salvage reports read errors. */
    private volatile java.util.function.Consumer<String> salvage;

    /**
     * @param topOnly look only at the top layer of each source (target has its own backing file): ranges it
     *                does not allocate are {@link Kind#SKIP}
     */
    ConcatSource(List<DiskImage> images, boolean topOnly) {
        this.images = List.copyOf(images);
        this.starts = new long[images.size() + 1];
        for (int i = 0; i < images.size(); i++) {
            starts[i + 1] = Math.addExact(starts[i], images.get(i).virtualSize());
        }
        this.size = starts[images.size()];
        this.maxDepth = topOnly ? 0 : Integer.MAX_VALUE;
        this.alignments = new long[images.size()];
    }

    long size() {
        return size;
    }

    private int indexOf(long pos) {
        for (int i = 0; i < images.size(); i++) {
            if (pos < starts[i + 1]) {
                return i;
            }
        }
        throw new IllegalArgumentException("offset " + pos + " is past the end (" + size + ")");
    }

    Run runAt(long pos, long max) throws IOException {
        return runAt(pos, max, false);
    }

    /**
     * Like {@link #runAt(long, long)}, but a data run that starts in a compressed cluster ends with that
     * cluster, as QEMU's block status answers (compressed clusters one at a time): qemu-img convert makes
     * one request per such run, and the requests decide where the target's metadata clusters land.
     */
    Run requestRunAt(long pos, long max) throws IOException {
        return runAt(pos, max, true);
    }

    /**
     * {@code --salvage}: reads {@code dst.remaining()} bytes of {@code img} from {@code local}; when that fails,
     * sector by sector, and a sector that cannot be read becomes zeros with a warning naming its offset, as
     * qemu-img convert --salvage does.
     */
    private void readSalvaging(DiskImage img, long local, ByteBuffer dst) throws IOException {
        int start = dst.position();
        int end = dst.limit();
        try {
            img.read(local, dst);
            return;
        } catch (IOException e) {
            dst.position(start);
        }
        for (int at = start; at < end; at += SECTOR) {
            int n = Math.min(SECTOR, end - at);
            long off = local + (at - start);
            dst.limit(at + n).position(at);
            try {
                img.read(off, dst);
            } catch (IOException e) {
                salvage.accept("error while reading offset " + off + ": " + reason(e));
                dst.limit(at + n).position(at);
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
            }
        }
        dst.limit(end).position(end);
    }

    /**
     * What qemu-img names as the reason: the system's message of an I/O error (e.g. "Input/output error");
     * data qimg finds corrupt (a compressed cluster that does not expand, ...) is EIO to QEMU.
     */
    private static String reason(Throwable e) {
        if (e instanceof org.qimg.format.ImageException) {
            return "Input/output error";
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** Turns salvaging on: read errors become zeros and {@code warnings} hears of each. */
    ConcatSource salvaging(java.util.function.Consumer<String> warnings) {
        this.salvage = warnings;
        return this;
    }

    private Run runAt(long pos, long max, boolean compressedOneByOne) throws IOException {
        int i = indexOf(pos);
        DiskImage img = images.get(i);
        long local = pos - starts[i];
        long len = Math.min(max, img.virtualSize() - local);
        BlockStatus s;
        try {
            s = ChainWalker.statusAt(img, local, len, maxDepth);
        } catch (IOException e) {
            if (salvage == null) {
                throw e;
            }
            // --salvage, as qemu-img: the status of one sector is unknown, so it is read (as data)
            salvage.accept("error while reading block status at offset " + local + ": " + reason(e));
            return new Run(Math.min(len, SECTOR), Kind.DATA);
        }
        Kind k;
        // as qemu-img convert: a zero status wins over data (stored clusters over host holes of a
        // metadata-preallocated source are both, and read as zeros)
        if (s.zero()) {
            k = Kind.ZERO;
        } else if (s.data()) {
            k = Kind.DATA;
            if (compressedOneByOne && s.layer().compressedPayload(local).isPresent()) {
                long cs = s.layer().layout().clusterSize();
                return new Run(Math.min(s.length(), (local / cs + 1) * cs - local), k);
            }
        } else {
            k = Kind.SKIP;
        }
        return new Run(s.length(), k);
    }

    /** Where the source image holding guest offset {@code pos} starts in the concatenation. */
    long partStart(long pos) {
        return starts[indexOf(pos)];
    }

    /**
     * The request alignment qemu-img keeps block-status runs of the image at {@code pos} to: its cluster
     * size, or one sector for images without clusters (raw).
     */
    long alignmentAt(long pos) throws IOException {
        int i = indexOf(pos);
        if (alignments[i] == 0) {
            Integer cs = images.get(i).info().clusterSize();
            alignments[i] = cs == null || cs < 512 ? 512 : cs;
        }
        return alignments[i];
    }

    /** Reads guest bytes [pos, pos + dst.remaining()), crossing source boundaries as needed. */
    void read(long pos, ByteBuffer dst) throws IOException {
        long p = pos;
        while (dst.hasRemaining()) {
            int i = indexOf(p);
            DiskImage img = images.get(i);
            long local = p - starts[i];
            int n = (int) Math.min(dst.remaining(), img.virtualSize() - local);
            int lim = dst.limit();
            dst.limit(dst.position() + n);
            if (salvage == null) {
                img.read(local, dst);
            } else {
                readSalvaging(img, local, dst);
            }
            dst.limit(lim);
            p += n;
        }
    }
}
