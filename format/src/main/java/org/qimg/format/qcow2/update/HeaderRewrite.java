package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.ExtensionWalk;
import org.qimg.format.qcow2.layout.HeaderLayout;

/**
 * Rewrites the header cluster with a new bitmaps extension and autoclear bits, as QEMU's
 * {@code qcow2_update_header} lays it out: the fixed header (unknown trailing fields kept), the extensions in
 * QEMU's order (backing format, external data file, encryption header, feature name table, bitmaps, then the
 * extensions QEMU does not know, in their order), the end marker, the backing file name right after it, and
 * zeros to the end of the cluster. The whole cluster is written, as QEMU writes it.
 */
final class HeaderRewrite {
    private static final int[] KNOWN_ORDER = {HeaderLayout.EXT_BACKING_FORMAT, HeaderLayout.EXT_EXTERNAL_DATA_FILE,
        HeaderLayout.EXT_FULL_DISK_ENCRYPTION, HeaderLayout.EXT_FEATURE_NAME_TABLE};

    private record Ext(int type, byte[] payload) {
    }

    private final ByteBuffer cluster;
    private final int headerLength;
    private final List<Ext> extensions = new ArrayList<>();
    private final byte[] backingName;
    private final boolean bitmapsExtension;

    private HeaderRewrite(FileChannel ch, Path file, int clusterSize, int version) throws IOException {
        int n = (int) Math.min(clusterSize, ch.size());
        cluster = ByteBuffer.allocate(clusterSize);
        cluster.limit(n);
        Positional.readFully(ch, cluster, 0, file);
        cluster.clear();
        headerLength = version >= 3 ? cluster.getInt(HeaderLayout.OFF_HEADER_LENGTH) : HeaderLayout.V2_HEADER_LENGTH;
        long backingOffset = cluster.getLong(HeaderLayout.OFF_BACKING_OFFSET);
        int backingSize = cluster.getInt(HeaderLayout.OFF_BACKING_SIZE);
        int areaEnd = backingOffset > 0 && backingOffset < clusterSize ? (int) backingOffset : clusterSize;
        if (headerLength < HeaderLayout.V2_HEADER_LENGTH || headerLength > areaEnd) {
            throw new ImageException(file + ": header of " + headerLength + " bytes cannot be rewritten");
        }
        if (backingOffset > 0 && (backingOffset > clusterSize - backingSize || backingSize < 0)) {
            throw new ImageException(file + ": backing file name outside the header cluster");
        }
        backingName = new byte[backingOffset > 0 ? backingSize : 0];
        cluster.get((int) backingOffset, backingName);
        ByteBuffer area = cluster.slice(headerLength, areaEnd - headerLength);
        boolean[] bitmaps = new boolean[1];
        ExtensionWalk.walk(area, headerLength, file.toString(), e -> {
            if (e.type() == HeaderLayout.EXT_BITMAPS) {
                bitmaps[0] = true;
                return;
            }
            byte[] p = new byte[e.length()];
            area.get(e.payload(), p);
            extensions.add(new Ext(e.type(), p));
        });
        bitmapsExtension = bitmaps[0];
    }

    /** The header cluster of an image of {@code version} as it is now. */
    static HeaderRewrite read(FileChannel ch, Path file, int clusterSize, int version) throws IOException {
        return new HeaderRewrite(ch, file, clusterSize, version);
    }

    /** Whether the header has a bitmaps extension (whether QEMU honours it or not). */
    boolean hasBitmapsExtension() {
        return bitmapsExtension;
    }

    /**
     * Writes the header with {@code autoclear} (version 3) and the bitmaps extension for {@code count}
     * bitmaps (none when 0), then flushes.
     */
    void write(FileChannel ch, Path file, long autoclear, int count, long dirSize, long dirOffset)
            throws IOException {
        int version = cluster.getInt(HeaderLayout.OFF_VERSION);
        ByteBuffer out = ByteBuffer.allocate(cluster.capacity());
        out.put(cluster.array(), 0, headerLength);
        if (version >= 3) {
            out.putLong(HeaderLayout.OFF_AUTOCLEAR, autoclear);
        }
        List<Ext> ordered = new ArrayList<>();
        for (int type : KNOWN_ORDER) {
            for (Ext e : extensions) {
                if (e.type() == type) {
                    ordered.add(e);
                }
            }
        }
        if (count > 0) {
            ByteBuffer p = ByteBuffer.allocate(HeaderLayout.BITMAPS_EXT_LENGTH);
            p.putInt(0, count).putLong(8, dirSize).putLong(16, dirOffset);
            ordered.add(new Ext(HeaderLayout.EXT_BITMAPS, p.array()));
        }
        for (Ext e : extensions) {
            if (!known(e.type())) {
                ordered.add(e);
            }
        }
        try {
            for (Ext e : ordered) {
                out.putInt(e.type()).putInt(e.payload().length).put(e.payload());
                out.position((out.position() + 7) & ~7);
            }
            out.putInt(HeaderLayout.EXT_END).putInt(0);
            if (backingName.length > 0) {
                out.putLong(HeaderLayout.OFF_BACKING_OFFSET, out.position());
                out.put(backingName);
            }
        } catch (java.nio.BufferOverflowException | IllegalArgumentException e) {
            throw new ImageException(file + ": the header extensions do not fit in the first cluster");
        }
        out.clear();
        Positional.writeFully(ch, out, 0);
        ch.force(false);
    }

    private static boolean known(int type) {
        for (int t : KNOWN_ORDER) {
            if (t == type) {
                return true;
            }
        }
        return false;
    }
}
