package org.qimg.converters.rebase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.qimg.converters.ProgressListener;
import org.qimg.format.ClusterSink;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.codec.ClusterCompressor;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;

/**
 * {@code qemu-img rebase} (7.2's {@code img_rebase}), in its order:
 *
 * <ol>
 *   <li>the image is opened (with its backing chain, unless {@code -u}); a {@code -F} that names no format is
 *   refused;</li>
 *   <li>safe mode: the new backing file is opened (a relative name is resolved against the image's directory),
 *   then the image is walked as qemu-img walks it: runs of at most 2 MiB with one allocation status in the
 *   image; for each unallocated run, the old and new backing content are compared (past the end of a backing
 *   file, or without one, it reads zeros), and every cluster where they differ gets the old content written
 *   into the image: zeros (the zero flag) when the cluster lies wholly past the end of the old backing file,
 *   else the old data, compressed with {@code -c}. The image's guest content never changes;</li>
 *   <li>the header is pointed at the new backing file ({@link ImageFormat#setBackingFile}); with {@code -b ""}
 *   the reference is removed. A new name without a format is refused here, as QEMU's
 *   {@code bdrv_change_backing_file(..., require=true)} does, after the copy.</li>
 * </ol>
 *
 * <p>qemu-img writes only the differing sectors and lets the format fill the rest of the cluster from the old
 * backing file; writing the whole cluster with the old content gives the same image content and allocation.
 * Progress: {@link ProgressListener#progress} is called once per unallocated run, where qemu-img prints a
 * step, and {@link ProgressListener#finished} at the end (also when the last step fails, as qemu-img prints
 * 100% then).
 */
public final class Rebaser {
    /**
     * The drivers QEMU 7.2's {@code bdrv_find_format} knows (qemu-img --help's "Supported formats"): {@code -F}
     * may name any of them, even one qimg does not read (with {@code -u} it is only written into the header).
     */
    static final java.util.Set<String> QEMU_DRIVERS = java.util.Set.of("blkdebug", "blklogwrites", "blkverify",
            "bochs", "cloop", "compress", "copy-before-write", "copy-on-read", "dmg", "file", "ftp", "ftps", "gluster",
            "host_cdrom", "host_device", "http", "https", "iscsi", "iser", "luks", "nbd", "nfs", "null-aio", "null-co",
            "nvme", "parallels", "preallocate", "qcow", "qcow2", "qed", "quorum", "raw", "rbd", "replication",
            "snapshot-access", "ssh", "throttle", "vdi", "vhdx", "vmdk", "vpc", "vvfat");

    /** qemu-img's IO_BUF_SIZE: the largest run one step of its loop handles. */
    public static final int IO_BUF_SIZE = 2 << 20;
    private static final byte[] ZEROS = new byte[IO_BUF_SIZE];

    /**
     * What to do.
     *
     * @param format        {@code -f}, or null to probe
     * @param backing       {@code -b}: the new backing file name as stored in the header; "" for none; null
     *                      only with {@code unsafe} (the reference is then removed, as qemu-img -u without -b)
     * @param backingFormat {@code -F}, or null
     * @param unsafe        {@code -u}: only the header changes
     * @param compress      {@code -c}: clusters written in safe mode are compressed
     * @param forceShare    {@code -U}
     */
    public record Request(Path file, String format, String backing, String backingFormat, boolean unsafe,
                          boolean compress, boolean forceShare) {
    }

    /** A failure of the last step (the header): qemu-img reports it after printing 100%. */
    public static final class ChangeFailedException extends ImageException {
        private static final long serialVersionUID = 1L;

        ChangeFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final ProgressListener progress;
    private final Consumer<String> notices;

    /**
     * @param progress told of each step (see the class comment)
     * @param notices  told when a codec falls back to a slower implementation
     */
    public Rebaser(ProgressListener progress, Consumer<String> notices) {
        this.progress = progress;
        this.notices = notices;
    }

    /** Rebases as {@code r} says. */
    public void rebase(Request r) throws IOException {
        // read with every permission shared: the write lock taken next is this process's own
        OpenOptions options = OpenOptions.DEFAULT.forceShare(true);
        DiskImage top;
        try {
            top = ImageFormats.open(r.file(), r.format(), r.unsafe() ? options.withoutBacking() : options);
        } catch (IOException e) {
            throw ImageOpenErrors.wrap(r.file(), e);
        }
        String formatName;
        try (top; ImageLock lock = ImageLock.acquire(r.file(), writeLock(top.formatName(), r.forceShare()))) {
            formatName = top.formatName();
            if (r.backingFormat() != null && !QEMU_DRIVERS.contains(r.backingFormat())) {
                throw new ImageException("Invalid format name: '" + r.backingFormat() + "'");
            }
            if (!r.unsafe()) {
                copyDifferences(top, r);
            }
        }
        String name = r.backing() == null || r.backing().isEmpty() ? null : r.backing();
        try {
            if (name != null && r.backingFormat() == null) {
                throw new ImageException("backing format must be specified");
            }
            ImageFormats.byName(formatName).setBackingFile(r.file(), name, name == null ? null : r.backingFormat(),
                    r.forceShare());
        } catch (ImageException e) {
            progress.finished();
            throw new ChangeFailedException("Could not change the backing file to '" + r.backing() + "': "
                    + e.getMessage(), e);
        }
        progress.finished();
    }

    /** The locks qemu-img holds on an image it opens read-write: as its format driver asks them. */
    static LockPerms writeLock(String format, boolean forceShare) {
        return "raw".equals(format) ? LockPerms.WRITE_SHARED.rawFile(forceShare)
                : LockPerms.WRITE_SHARED.qcow2File(forceShare);
    }

    /** Safe mode: opens the new backing file and copies into {@code top} what would change. */
    private void copyDifferences(DiskImage top, Request r) throws IOException {
        DiskImage newBacking = null;
        if (!r.backing().isEmpty()) {
            Path resolved = resolve(r.file(), r.backing());
            OpenOptions o = OpenOptions.DEFAULT.forceShare(r.forceShare());
            try {
                newBacking = ImageFormats.openReferenced(resolved, r.backingFormat(), o);
            } catch (IOException e) {
                throw new ImageException("Could not open new backing file '" + r.backing() + "': "
                        + e.getMessage(), e);
            }
        }
        try (DiskImage nb = newBacking; DifferenceWriter w = new DifferenceWriter(top, r, notices)) {
            walk(top, top.backing().orElse(null), nb, w);
        }
    }

    /**
     * qemu-img's resolution of a new backing file name: as given when absolute, else beside the image
     * ({@code bdrv_get_full_backing_filename_from_filename}).
     */
    static Path resolve(Path image, String name) {
        Path n = Path.of(name);
        Path dir = image.getParent();
        return n.isAbsolute() || dir == null || org.qimg.format.spec.FileNames.hasProtocol(name) ? n : dir.resolve(n);
    }

    private void walk(DiskImage top, DiskImage oldBacking, DiskImage newBacking, DifferenceWriter w)
            throws IOException {
        long size = top.virtualSize();
        long oldSize = oldBacking == null ? 0 : oldBacking.virtualSize();
        long newSize = newBacking == null ? 0 : newBacking.virtualSize();
        long span = top.layout().tableSpan();
        progress.started(size);
        ByteBuffer oldBuf = ByteBuffer.allocate(IO_BUF_SIZE);
        ByteBuffer newBuf = ByteBuffer.allocate(IO_BUF_SIZE);
        long n;
        for (long offset = 0; offset < size; offset += n) {
            n = Math.min(IO_BUF_SIZE, size - offset);
            Extent e = top.extentAt(offset, n);
            n = Math.min(n, e.length());
            if (e.status() != Extent.Status.UNALLOCATED) {
                continue;
            }
            if (span > 0) {
                n = Math.min(n, span - offset % span); // QEMU's status stops at the end of an L2 table
            }
            boolean oldZero = offset >= oldSize;
            if (!oldZero) {
                n = Math.min(n, oldSize - offset);
            }
            if (newBacking != null && offset < newSize) {
                n = Math.min(n, newSize - offset);
            }
            int len = (int) n;
            read(oldZero ? null : oldBacking, offset, oldBuf, len);
            read(newBacking == null || offset >= newSize ? null : newBacking, offset, newBuf, len);
            if (!oldBuf.equals(newBuf)) {
                w.differences(offset, oldBuf, newBuf, oldZero, oldBacking, oldSize);
            }
            progress.progress(offset + n, size);
        }
        w.finish();
    }

    /** {@code len} bytes of {@code image} at {@code offset} into {@code buf} (zeros without an image). */
    private static void read(DiskImage image, long offset, ByteBuffer buf, int len) throws IOException {
        buf.clear().limit(len);
        if (image == null) {
            buf.put(ZEROS, 0, len);
        } else {
            image.read(offset, buf);
        }
        buf.flip();
    }

    /**
     * Writes the clusters where old and new backing content differ into the image, in increasing order,
     * through the format's in-place writer (opened at the first write).
     */
    private static final class DifferenceWriter implements AutoCloseable {
        private final DiskImage top;
        private final Request r;
        private final Consumer<String> notices;
        private FileChannel channel;
        private ClusterSink sink;
        private ClusterCompressor compressor;
        private int clusterSize;
        private long lastWritten = -1;
        private ByteBuffer cluster;
        private ByteBuffer payload;

        DifferenceWriter(DiskImage top, Request r, Consumer<String> notices) {
            this.top = top;
            this.r = r;
            this.notices = notices;
        }

        /** The run at {@code offset} has {@code oldBuf} in the old backing file and {@code newBuf} in the new. */
        void differences(long offset, ByteBuffer oldBuf, ByteBuffer newBuf, boolean oldZero, DiskImage oldBacking,
                         long oldSize) throws IOException {
            open();
            int len = oldBuf.limit();
            for (int i = 0; i < len; ) {
                long guest = offset + i;
                long index = guest / clusterSize;
                int inCluster = (int) Math.min(len - i, (index + 1) * clusterSize - guest);
                if (index > lastWritten && !oldBuf.slice(i, inCluster).equals(newBuf.slice(i, inCluster))) {
                    write(index, oldBacking, oldSize);
                    lastWritten = index;
                }
                i += inCluster;
            }
        }

        private void open() throws IOException {
            if (sink != null) {
                return;
            }
            ImageFormat f = ImageFormats.writable(top.formatName());
            TargetImage target = f.openForUpdate(r.file(), TargetRequest.of(r.compress()));
            if (target.clusterSize() == 0) {
                throw new ImageException("Error while writing to COW image: Operation not supported");
            }
            clusterSize = target.clusterSize();
            channel = NamedChannel.open(r.file(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            sink = target.start(channel, r.file(), top.virtualSize());
            cluster = ByteBuffer.allocate(clusterSize);
            if (r.compress()) {
                compressor = target.newCompressor(notices);
                payload = ByteBuffer.allocate(clusterSize);
            }
        }

        /** Gives cluster {@code index} its content through the old backing file. */
        private void write(long index, DiskImage oldBacking, long oldSize) throws IOException {
            long start = index * clusterSize;
            if (start >= oldSize) {
                sink.writeZero(index);
                return;
            }
            int visible = (int) Math.min(clusterSize, Math.min(oldSize, top.virtualSize()) - start);
            cluster.clear();
            cluster.limit(visible);
            oldBacking.read(start, cluster);
            cluster.limit(clusterSize);
            while (cluster.hasRemaining()) {
                cluster.put((byte) 0);
            }
            cluster.flip();
            if (compressor != null) {
                payload.clear();
                int n = compressor.compress(cluster.duplicate(), payload);
                if (n > 0) {
                    sink.writeCompressed(index, payload.duplicate().position(0).limit(n));
                    return;
                }
            }
            sink.writePlain(index, cluster);
        }

        void finish() throws IOException {
            if (sink != null) {
                sink.finish();
            }
        }

        @Override
        public void close() throws IOException {
            try (FileChannel c = channel; ClusterSink s = sink) {
                if (compressor != null) {
                    compressor.close();
                }
            }
        }
    }
}
