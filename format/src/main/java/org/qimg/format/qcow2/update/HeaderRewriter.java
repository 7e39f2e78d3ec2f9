package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.ExtensionWalk;
import org.qimg.format.qcow2.layout.HeaderCluster;
import org.qimg.format.qcow2.layout.HeaderExtensions;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * QEMU's {@code qcow2_update_header}: the whole first cluster written anew from what the image holds: the
 * fixed header (72 bytes for v2; for v3 112 bytes plus the unknown fields of a longer header, which are kept),
 * then the extensions in QEMU's order (backing format, external data file, the feature name table for v3 with
 * clusters above 4 KiB, bitmaps, the unknown extensions as they were), the end marker and the backing file
 * name. The fields an amend changes are given in {@link Fields}; the rest is read from the file as it is now.
 */
final class HeaderRewriter {

    /** The header fields an amend sets; initialised from the image's header. */
    static final class Fields {
        int version;
        long incompatible;
        long compatible;
        long autoclear;
        int refcountOrder;
        long refcountTableOffset;
        long refcountTableClusters;
        int compressionType;
        /** The external data file's name; null drops the extension. */
        String dataFile;

        Fields(Qcow2Header h) {
            version = h.version();
            incompatible = h.incompatibleFeatures();
            compatible = h.compatibleFeatures();
            autoclear = h.autoclearFeatures();
            refcountOrder = h.refcountOrder();
            refcountTableOffset = h.refcountTableOffset();
            refcountTableClusters = Integer.toUnsignedLong(h.refcountTableClusters());
            compressionType = h.compressionType().code();
            dataFile = h.extensions().dataFile();
        }
    }

    private HeaderRewriter() {
    }

    /** Writes the header cluster of the image on {@code ch} with {@code f}'s fields, and flushes. */
    static void write(FileChannel ch, Path file, Fields f) throws IOException {
        Qcow2Header h = Qcow2Header.read(ch, file);
        int cs = h.clusterSize();
        ByteBuffer old = ByteBuffer.allocate((int) Math.min(cs, ch.size()));
        Positional.readFully(ch, old, 0, file);
        old.flip();
        ByteBuffer b = ByteBuffer.allocate(cs);
        b.putInt(OFF_MAGIC, MAGIC);
        b.putInt(OFF_VERSION, f.version);
        b.putInt(OFF_CLUSTER_BITS, h.clusterBits());
        b.putLong(OFF_SIZE, h.virtualSize());
        b.putInt(OFF_CRYPT, h.cryptMethod());
        b.putInt(OFF_L1_SIZE, h.l1Size());
        b.putLong(OFF_L1_OFFSET, h.l1TableOffset());
        b.putLong(OFF_REFTABLE_OFFSET, f.refcountTableOffset);
        b.putInt(OFF_REFTABLE_CLUSTERS, (int) f.refcountTableClusters);
        b.putInt(OFF_NB_SNAPSHOTS, h.nbSnapshots());
        b.putLong(OFF_SNAPSHOTS_OFFSET, h.snapshotsOffset());
        int pos = V2_HEADER_LENGTH;
        if (f.version >= 3) {
            // the fields of a longer v3 header that QEMU does not know are kept after its 112 bytes
            int unknown = h.version() >= 3 ? Math.max(0, h.headerLength() - V3_HEADER_LENGTH) : 0;
            b.putLong(OFF_INCOMPAT, f.incompatible);
            b.putLong(OFF_COMPAT, f.compatible);
            b.putLong(OFF_AUTOCLEAR, f.autoclear);
            b.putInt(OFF_REFCOUNT_ORDER, f.refcountOrder);
            b.putInt(OFF_HEADER_LENGTH, V3_HEADER_LENGTH + unknown);
            b.put(OFF_COMPRESSION_TYPE, (byte) f.compressionType);
            pos = V3_HEADER_LENGTH;
            b.put(pos, old, V3_HEADER_LENGTH, unknown);
            pos += unknown;
        }
        HeaderExtensions x = h.extensions();
        if (x.backingFormat() != null) {
            pos = extension(b, pos, EXT_BACKING_FORMAT, utf8(x.backingFormat()));
        }
        if ((f.incompatible & INCOMPAT_DATA_FILE) != 0 && f.dataFile != null) {
            pos = extension(b, pos, EXT_EXTERNAL_DATA_FILE, utf8(f.dataFile));
        }
        if (x.cryptoHeaderOffset() > 0) {
            pos = extension(b, pos, EXT_FULL_DISK_ENCRYPTION, ByteBuffer.allocate(16)
                    .putLong(x.cryptoHeaderOffset()).putLong(x.cryptoHeaderLength()).array());
        }
        if (HeaderCluster.hasFeatureTable(f.version, cs)) {
            pos = extension(b, pos, EXT_FEATURE_NAME_TABLE, HeaderCluster.featureNameTable());
        }
        if (x.bitmaps() != null) {
            HeaderExtensions.Bitmaps m = x.bitmaps();
            pos = extension(b, pos, EXT_BITMAPS, ByteBuffer.allocate(BITMAPS_EXT_LENGTH).putInt(m.count())
                    .putInt(0).putLong(m.directorySize()).putLong(m.directoryOffset()).array());
        }
        for (byte[][] u : unknownExtensions(old, h, file)) {
            pos = extension(b, pos, ByteBuffer.wrap(u[0]).getInt(), u[1]);
        }
        need(b, pos, 8);
        pos += 8; // end of the extensions
        if (h.backingFile() != null) {
            byte[] name = utf8(h.backingFile());
            need(b, pos, name.length);
            b.putLong(OFF_BACKING_OFFSET, pos);
            b.putInt(OFF_BACKING_SIZE, name.length);
            b.put(pos, name);
        }
        Positional.writeFully(ch, b, 0);
        ch.force(false);
    }

    /** The extensions QEMU keeps without knowing them: {type as 4 bytes, payload} in file order. */
    private static List<byte[][]> unknownExtensions(ByteBuffer old, Qcow2Header h, Path file) throws IOException {
        List<byte[][]> out = new ArrayList<>();
        int start = h.headerLength();
        long end = old.limit();
        if (h.backingFile() != null) {
            end = Math.min(end, ByteBuffer.wrap(old.array()).getLong(OFF_BACKING_OFFSET));
        }
        if (end <= start) {
            return out;
        }
        ByteBuffer area = ByteBuffer.wrap(old.array(), start, (int) (end - start)).slice();
        ExtensionWalk.walk(area, start, file.toString(), e -> {
            switch (e.type()) {
                case EXT_BACKING_FORMAT, EXT_FEATURE_NAME_TABLE, EXT_BITMAPS, EXT_FULL_DISK_ENCRYPTION,
                        EXT_EXTERNAL_DATA_FILE -> {
                }
                default -> {
                    byte[] payload = new byte[e.length()];
                    area.get(e.payload(), payload);
                    out.add(new byte[][] {ByteBuffer.allocate(4).putInt(e.type()).array(), payload});
                }
            }
        });
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int extension(ByteBuffer b, int pos, int type, byte[] data) throws ImageException {
        int padded = (data.length + 7) & ~7;
        need(b, pos, 8 + padded);
        b.putInt(pos, type);
        b.putInt(pos + 4, data.length);
        b.put(pos + 8, data);
        return pos + 8 + padded;
    }

    private static void need(ByteBuffer b, int pos, int len) throws ImageException {
        if (len > b.capacity() - pos) {
            throw new ImageException("Failed to update the image header: No space left on device");
        }
    }
}
