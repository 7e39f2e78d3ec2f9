package org.qimg.format.qcow2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.qimg.format.ImageException;
import org.qimg.format.codec.CompressionType;

/**
 * The header cluster of a new image as QEMU 7.2 writes it: the fixed header (72 bytes for v2, 112 for
 * v3), then the header extensions (backing format, then the feature name table for v3 images whose
 * clusters are larger than 4 KiB), the end marker, and the backing file name.
 */
final class WriterHeader {
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_TABLE = 0x6803f857;
    static final int V3_HEADER_LENGTH = 112;

    /** QEMU 7.2's feature name table: type (0 incompatible, 1 compatible, 2 autoclear), bit, name. */
    private static final Object[][] FEATURES = {
        {0, 0, "dirty bit"},
        {0, 1, "corrupt bit"},
        {0, 2, "external data file"},
        {0, 3, "compression type"},
        {0, 4, "extended L2 entries"},
        {1, 0, "lazy refcounts"},
        {2, 0, "bitmaps"},
        {2, 1, "raw external data"},
    };

    private WriterHeader() {
    }

    /** The whole header cluster. */
    static ByteBuffer build(Qcow2CreateOptions o, long l1Offset, int l1Size, long refTableOffset,
            int refTableClusters) throws ImageException {
        int cs = o.clusterSize();
        ByteBuffer b = ByteBuffer.allocate(cs);
        boolean v3 = o.version() >= 3;
        b.putInt(0, Qcow2Format.MAGIC);
        b.putInt(4, o.version());
        b.putInt(20, o.clusterBits());
        b.putLong(24, o.virtualSize());
        b.putInt(32, 0); // crypt method
        b.putInt(36, l1Size);
        b.putLong(40, l1Offset);
        b.putLong(48, refTableOffset);
        b.putInt(56, refTableClusters);
        int pos = 72;
        if (v3) {
            long incompatible = 0;
            if (o.compressionType() != CompressionType.ZLIB) {
                incompatible |= 1L << 3;
            }
            if (o.extendedL2()) {
                incompatible |= 1L << 4;
            }
            b.putLong(72, incompatible);
            b.putLong(80, o.lazyRefcounts() ? 1 : 0);
            b.putLong(88, 0);
            b.putInt(96, o.refcountOrder());
            b.putInt(100, V3_HEADER_LENGTH);
            b.put(104, (byte) o.compressionType().code());
            pos = V3_HEADER_LENGTH;
        }
        if (o.backingFormat() != null) {
            pos = extension(b, pos, EXT_BACKING_FORMAT, o.backingFormat().getBytes(StandardCharsets.UTF_8));
        }
        if (v3 && cs > 4096) {
            byte[] table = new byte[FEATURES.length * 48];
            for (int i = 0; i < FEATURES.length; i++) {
                table[i * 48] = (byte) (int) (Integer) FEATURES[i][0];
                table[i * 48 + 1] = (byte) (int) (Integer) FEATURES[i][1];
                byte[] name = ((String) FEATURES[i][2]).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(name, 0, table, i * 48 + 2, name.length);
            }
            pos = extension(b, pos, EXT_FEATURE_TABLE, table);
        }
        pos = need(b, pos, 8); // end of extensions: 8 zero bytes
        pos += 8;
        if (o.backingFile() != null) {
            byte[] name = o.backingFile().getBytes(StandardCharsets.UTF_8);
            if (name.length > 1023) {
                throw new ImageException("Backing file name too long: " + name.length + " bytes (at most 1023)");
            }
            need(b, pos, name.length);
            b.putLong(8, pos);
            b.putInt(16, name.length);
            b.put(pos, name);
        }
        return b;
    }

    private static int extension(ByteBuffer b, int pos, int magic, byte[] data) throws ImageException {
        int padded = (data.length + 7) & ~7;
        need(b, pos, 8 + padded);
        b.putInt(pos, magic);
        b.putInt(pos + 4, data.length);
        b.put(pos + 8, data);
        return pos + 8 + padded;
    }

    private static int need(ByteBuffer b, int pos, int len) throws ImageException {
        if (len > b.capacity() - pos) {
            throw new ImageException("qcow2 header does not fit in one " + b.capacity() + "-byte cluster");
        }
        return pos;
    }
}
