package org.qimg.format.vmdk.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.ExtentLine;

/**
 * A new monolithicFlat image: the descriptor text goes to the caller's channel (the image file qemu-img names),
 * the guest data to the extent file QEMU names beside it ({@code NAME-flat.EXT} for {@code NAME.EXT}).
 *
 * <p>The extent is written to a hidden temporary file in the same directory and renamed over
 * {@code NAME-flat.EXT} only in {@link #finish()}, after its data is complete and synced; {@link #close()}
 * without {@code finish}, and a JVM shutdown (Ctrl-C), remove the temporary file. So a failed convert leaves no
 * half-written extent (the caller's own temp-and-rename handles the descriptor).
 */
public final class FlatWriter implements ClusterSink {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int SUBCLUSTERS = 32;

    private final FileChannel descriptor;
    private final VmdkCreateOptions options;
    private final long size;
    private final Path extent;
    private final Path temp;
    private final FileChannel data;
    private final Thread cleanup;
    private final ContentId contentId = new ContentId();
    private boolean finished;
    private boolean wroteData;

    private FlatWriter(FileChannel descriptor, VmdkCreateOptions options, Path extent, Path temp,
                       FileChannel data) {
        this.descriptor = descriptor;
        this.options = options;
        this.size = options.capacitySectors() * 512;
        this.extent = extent;
        this.temp = temp;
        this.data = data;
        this.cleanup = new Thread(this::deleteTemp, "qimg-vmdk-extent-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** The flat extent's file name for the image {@code image}, as QEMU's {@code filename_decompose} makes it. */
    public static String extentName(String imageName) {
        int dot = imageName.lastIndexOf('.');
        return dot < 0 ? imageName + "-flat" : imageName.substring(0, dot) + "-flat" + imageName.substring(dot);
    }

    /** The extent file written for the image at {@code image}. */
    public static Path extentPath(Path image) {
        Path abs = image.toAbsolutePath();
        return abs.resolveSibling(extentName(abs.getFileName().toString()));
    }

    public static FlatWriter create(FileChannel descriptor, Path path, VmdkCreateOptions options) throws IOException {
        Path extent = extentPath(path);
        if (options.capacitySectors() == 0) {
            // QEMU makes no extent (and no extent line) for an empty flat image
            return new FlatWriter(descriptor, options, extent, null, null);
        }
        Path dir = extent.getParent();
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + extent.getFileName() + ".qimg-" + Long.toHexString(RANDOM.nextLong()));
            try {
                FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                return new FlatWriter(descriptor, options, extent, temp, ch);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new ImageException("Could not create '" + extent + "': " + e.getMessage(), e);
            }
        }
    }

    /** A 64 KiB unit of work: the caller hands over guest data in these. */
    @Override
    public int clusterSize() {
        return SparseGeometry.GRAIN_BYTES;
    }

    @Override
    public void writePlain(long index, ByteBuffer cluster) throws IOException {
        writeRange(index, cluster, 0, clusterSize());
    }

    /** Writes only the subclusters the caller's write requests touched: the rest stays a hole (reads zeros). */
    @Override
    public void writePlain(long index, ByteBuffer cluster, int subclusterMask, boolean startsWrite)
            throws IOException {
        if (subclusterMask == 0 || subclusterMask == -1) {
            writePlain(index, cluster);
            return;
        }
        int sub = clusterSize() / SUBCLUSTERS;
        int i = 0;
        while (i < SUBCLUSTERS) {
            if ((subclusterMask & (1 << i)) == 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < SUBCLUSTERS && (subclusterMask & (1 << j)) != 0) {
                j++;
            }
            writeRange(index, cluster, i * sub, (j - i) * sub);
            i = j;
        }
    }

    private void writeRange(long index, ByteBuffer cluster, int from, int length) throws IOException {
        long at = index * clusterSize() + from;
        if (at >= size) {
            return;
        }
        int n = (int) Math.min(length, size - at);
        ByteBuffer b = cluster.duplicate();
        b.position(b.position() + from).limit(b.position() + n);
        contentId.grain(at, b);
        wroteData = true;
        Positional.writeFully(data, b, at);
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) {
        throw new IllegalStateException("a flat extent stores no compressed data");
    }

    /** The extent is a new file: unwritten ranges read zeros already. */
    @Override
    public void writeZero(long index) {
    }

    @Override
    public void finish() throws IOException {
        if (data == null) {
            finished = true;
            Positional.writeFully(descriptor, ByteBuffer.wrap(DescriptorText.bytes(DescriptorText.qemu(options,
                    contentId.cid(0), null))), 0);
            return;
        }
        if (data.size() < size) {
            Positional.writeFully(data, ByteBuffer.allocate(1), size - 1);
        }
        data.force(true);
        data.close();
        try {
            Files.move(temp, extent, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, extent, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new ImageException("Could not create '" + extent + "': " + e.getMessage(), e);
        }
        finished = true;
        ExtentLine line = new ExtentLine("RW", options.capacitySectors(), "FLAT", extent.getFileName().toString(), 0);
        byte[] text = DescriptorText.bytes(DescriptorText.qemu(options, contentId.cid(options.capacitySectors()),
                line));
        // qemu-img rewrites the descriptor (its CID) on the first data write, in whole sectors
        int length = wroteData ? (text.length + 511) / 512 * 512 : text.length;
        Positional.writeFully(descriptor, ByteBuffer.allocate(length).put(text).clear(), 0);
    }

    @Override
    public void close() throws IOException {
        try {
            if (data != null && data.isOpen()) {
                data.close();
            }
        } finally {
            if (!finished) {
                deleteTemp();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway
            }
        }
    }

    private void deleteTemp() {
        try {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            // best effort: nothing else can be done here
        }
    }
}
