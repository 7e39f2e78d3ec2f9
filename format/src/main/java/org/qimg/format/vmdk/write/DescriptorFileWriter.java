package org.qimg.format.vmdk.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ClusterSink;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.ExtentLine;

/**
 * A new image whose descriptor is a text file of its own, with its data in extent files beside it, named as
 * QEMU's {@code vmdk_co_create_opts_cb} names them for {@code NAME.EXT}: monolithicFlat (one flat extent
 * {@code NAME-flat.EXT}), twoGbMaxExtentFlat ({@code NAME-f001.EXT}, ...) and twoGbMaxExtentSparse
 * ({@code NAME-s001.EXT}, ... each a sparse extent as {@link SparseWriter} lays it out, without embedded
 * descriptor), extents of 2 GiB, the last one shorter. Grains arrive in guest order, so one extent is open at a
 * time; extents are written to temporary files and renamed into place together at the end ({@link ExtentFiles}).
 * The descriptor goes to the caller's channel: the text qemu-img writes, padded with zeros to whole sectors once
 * data was written (qemu-img rewrites it, in sectors, when it updates the CID on the first write).
 */
public final class DescriptorFileWriter implements ClusterSink {
    /** QEMU's (and VMware's) extent size of a split image. */
    static final long SPLIT_BYTES = 0x80000000L;
    private static final int SUBCLUSTERS = 32;
    private static final long GRAINS_PER_SPLIT = SPLIT_BYTES / SparseGeometry.GRAIN_BYTES;

    private final FileChannel descriptor;
    private final VmdkCreateOptions options;
    private final boolean flat;
    private final boolean split;
    private final long size;
    private final int extentCount;
    private final Path dir;
    private final String prefix;
    private final String postfix;
    private final ExtentFiles files = new ExtentFiles();
    private final ContentId contentId = new ContentId();
    private int current = -1;
    private FileChannel channel;
    private SparseWriter sparse;
    private boolean wroteData;

    private DescriptorFileWriter(FileChannel descriptor, Path path, VmdkCreateOptions options) {
        this.descriptor = descriptor;
        this.options = options;
        this.flat = options.flat();
        this.split = options.split();
        this.size = options.capacitySectors() * 512;
        this.extentCount = (int) (split ? (size + SPLIT_BYTES - 1) / SPLIT_BYTES : size > 0 ? 1 : 0);
        Path abs = path.toAbsolutePath();
        this.dir = abs.getParent();
        String name = abs.getFileName().toString();
        int dot = name.lastIndexOf('.');
        this.prefix = dot < 0 ? name : name.substring(0, dot);
        this.postfix = dot < 0 ? "" : name.substring(dot);
    }

    public static DescriptorFileWriter create(FileChannel descriptor, Path path, VmdkCreateOptions options) {
        return new DescriptorFileWriter(descriptor, path, options);
    }

    /** The file name of extent {@code i} (from 0). */
    private String extentName(int i) {
        if (!split) {
            return prefix + "-flat" + postfix;
        }
        return String.format("%s-%c%03d%s", prefix, flat ? 'f' : 's', i + 1, postfix);
    }

    private long extentBytes(int i) {
        return split ? Math.min(SPLIT_BYTES, size - i * SPLIT_BYTES) : size;
    }

    /** A 64 KiB unit of work: the caller hands over guest data in these (the grain of sparse extents). */
    @Override
    public int clusterSize() {
        return SparseGeometry.GRAIN_BYTES;
    }

    @Override
    public void writePlain(long index, ByteBuffer cluster) throws IOException {
        if (flat) {
            writeFlat(index, cluster, 0, clusterSize());
        } else {
            long local = moveTo(index);
            sparse.writePlain(local, cluster);
            wroteData = true;
        }
    }

    /** Flat: writes only the subclusters the caller's write requests touched; the rest stays a hole. */
    @Override
    public void writePlain(long index, ByteBuffer cluster, int subclusterMask, boolean startsWrite)
            throws IOException {
        if (!flat || subclusterMask == 0 || subclusterMask == -1) {
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
            writeFlat(index, cluster, i * sub, (j - i) * sub);
            i = j;
        }
    }

    private void writeFlat(long index, ByteBuffer cluster, int from, int length) throws IOException {
        long local = moveTo(index);
        long at = local * clusterSize() + from;
        long limit = extentBytes(current);
        if (at >= limit) {
            return;
        }
        int n = (int) Math.min(length, limit - at);
        ByteBuffer b = cluster.duplicate();
        b.position(b.position() + from).limit(b.position() + n);
        contentId.grain(index * clusterSize() + from, b);
        wroteData = true;
        Positional.writeFully(channel, b, at);
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) {
        throw new IllegalStateException(options.subformat() + " stores no compressed grains");
    }

    @Override
    public void writeZero(long index) throws IOException {
        if (!flat) {
            long local = moveTo(index);
            sparse.writeZero(local);
            wroteData = true;
        }
        // a flat extent is a new file: unwritten ranges read zeros already
    }

    /** Opens the extent that holds grain {@code index} (finishing those before it); returns the grain's index in it. */
    private long moveTo(long index) throws IOException {
        int extent = (int) (split ? index / GRAINS_PER_SPLIT : 0);
        if (extent >= extentCount) {
            throw new IllegalArgumentException("grain " + index + " outside the image");
        }
        while (current < extent) {
            closeCurrent();
            current++;
            Path target = dir.resolve(extentName(current));
            channel = files.create(target);
            if (!flat) {
                sparse = SparseWriter.extent(channel, target, options.withSize(extentBytes(current)), contentId);
            }
        }
        return split ? index - extent * GRAINS_PER_SPLIT : index;
    }

    private void closeCurrent() throws IOException {
        if (channel == null) {
            return;
        }
        if (sparse != null) {
            sparse.finish();
            sparse = null;
        } else if (channel.size() < extentBytes(current)) {
            Positional.writeFully(channel, ByteBuffer.allocate(1), extentBytes(current) - 1);
        }
        channel.force(true);
        channel.close();
        channel = null;
    }

    @Override
    public void finish() throws IOException {
        if (extentCount > 0) {
            moveTo((extentCount - 1) * GRAINS_PER_SPLIT);
        }
        closeCurrent();
        files.commitAll();
        List<ExtentLine> lines = new ArrayList<>();
        for (int i = 0; i < extentCount; i++) {
            lines.add(new ExtentLine("RW", extentBytes(i) / 512, flat ? "FLAT" : "SPARSE", extentName(i), 0));
        }
        byte[] text = DescriptorText.bytes(DescriptorText.qemu(options, contentId.cid(options.capacitySectors()),
                lines));
        int length = wroteData ? (text.length + 511) / 512 * 512 : text.length;
        Positional.writeFully(descriptor, ByteBuffer.allocate(length).put(text).clear(), 0);
    }

    @Override
    public void close() throws IOException {
        try {
            if (channel != null) {
                channel.close();
            }
        } finally {
            files.close();
        }
    }
}
