package org.qimg.converters.rebase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.qimg.converters.ProgressListener;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;

/**
 * {@code qemu-img rebase} (7.2's {@code img_rebase}), in its order:
 *
 * <ol>
 *   <li>the image is opened (with its backing chain, unless {@code -u}); a {@code -F} that names no format is
 *   refused;</li>
 *   <li>safe mode: the new backing file is opened (a relative name is resolved against the image's directory),
 *   then the image is walked as qemu-img walks it: runs of at most 2 MiB with one allocation status in the
 *   image; for each unallocated run, the old and new backing content are compared (past the end of a backing
 *   file, or without one, it reads zeros), and each run of differing sectors is written into the image as
 *   qemu-img writes it ({@link DifferenceWriter}): the old content, or zeros when the run lies past the end of
 *   the old backing file; with {@code -c} whole clusters, compressed. The image's guest content never changes;
 *   the format's guest writer ({@link org.qimg.format.ImageFormat#openForGuestWrites}) allocates what
 *   QEMU's driver allocates (snapshots, extended L2 subclusters, an external data file);</li>
 *   <li>the header is pointed at the new backing file
 *   ({@link org.qimg.format.ImageFormat#setBackingFile}); with {@code -b ""} the reference is removed. A new name without a format is refused here, as QEMU's
 *   {@code bdrv_change_backing_file(..., require=true)} does, after the copy.</li>
 * </ol>
 *
 * <p>Progress: {@link ProgressListener#progress} is called once per unallocated run, where qemu-img prints a
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
        progress.started(top.virtualSize());
        // direct buffers: the formats read into them without a bounce copy
        ByteBuffer oldBuf = ByteBuffer.allocateDirect(IO_BUF_SIZE);
        ByteBuffer newBuf = ByteBuffer.allocateDirect(IO_BUF_SIZE);
        ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rebase-old-backing-reader");
            t.setDaemon(true);
            return t;
        });
        try {
            walk(top, oldBacking, newBacking, w, oldBuf, newBuf, reader);
        } finally {
            reader.shutdownNow();
        }
        w.finish();
    }

    /** The steps of {@link #walk(DiskImage, DiskImage, DiskImage, DifferenceWriter)}; old and new content are
     *  read at the same time, the old on {@code reader}. */
    private void walk(DiskImage top, DiskImage oldBacking, DiskImage newBacking, DifferenceWriter w,
                      ByteBuffer oldBuf, ByteBuffer newBuf, ExecutorService reader) throws IOException {
        long size = top.virtualSize();
        long oldSize = oldBacking == null ? 0 : oldBacking.virtualSize();
        long newSize = newBacking == null ? 0 : newBacking.virtualSize();
        long span = top.layout().tableSpan();
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
            long at = offset;
            Future<?> old = oldZero ? null : reader.submit(() -> {
                read(oldBacking, at, oldBuf, len);
                return null;
            });
            read(newBacking == null || offset >= newSize ? null : newBacking, offset, newBuf, len);
            if (old == null) {
                read(null, offset, oldBuf, len);
            } else {
                await(old);
            }
            if (!oldBuf.equals(newBuf)) {
                w.differences(offset, oldBuf, newBuf, len, oldZero);
            }
            progress.progress(offset + n, size);
        }
    }

    private static void await(Future<?> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading the old backing file");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
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
}
