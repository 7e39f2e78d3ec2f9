package org.qimg.format.qcow2.write;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.qimg.format.ImageException;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.qcow2.layout.HeaderCluster;
import org.qimg.format.qcow2.layout.HeaderLayout;

/**
 * The header cluster of a new image as QEMU 7.2 writes it: the fixed header (72 bytes for v2, 112 for
 * v3), then the header extensions (backing format, external data file name, then the feature name table for
 * v3 images whose clusters are larger than 4 KiB), the end marker, and the backing file name.
 */
final class WriterHeader {

    private WriterHeader() {
    }

    /** The whole header cluster. */
    static ByteBuffer build(Qcow2CreateOptions o, long l1Offset, int l1Size, long refTableOffset,
            int refTableClusters) throws ImageException {
        int cs = o.clusterSize();
        ByteBuffer b = ByteBuffer.allocate(cs);
        boolean v3 = o.version() >= 3;
        b.putInt(OFF_MAGIC, HeaderLayout.MAGIC);
        b.putInt(OFF_VERSION, o.version());
        b.putInt(OFF_CLUSTER_BITS, o.clusterBits());
        b.putLong(OFF_SIZE, o.virtualSize());
        b.putInt(OFF_CRYPT, 0); // crypt method
        b.putInt(OFF_L1_SIZE, l1Size);
        b.putLong(OFF_L1_OFFSET, l1Offset);
        b.putLong(OFF_REFTABLE_OFFSET, refTableOffset);
        b.putInt(OFF_REFTABLE_CLUSTERS, refTableClusters);
        int pos = 72;
        if (v3) {
            long incompatible = 0;
            if (o.compressionType() != CompressionType.ZLIB) {
                incompatible |= 1L << 3;
            }
            if (o.extendedL2()) {
                incompatible |= INCOMPAT_EXTL2;
            }
            if (o.dataFile() != null) {
                incompatible |= INCOMPAT_DATA_FILE;
            }
            b.putLong(OFF_INCOMPAT, incompatible);
            b.putLong(OFF_COMPAT, o.lazyRefcounts() ? 1 : 0);
            b.putLong(OFF_AUTOCLEAR, o.dataFileRaw() ? AUTOCLEAR_DATA_FILE_RAW : 0);
            b.putInt(OFF_REFCOUNT_ORDER, o.refcountOrder());
            b.putInt(OFF_HEADER_LENGTH, V3_HEADER_LENGTH);
            b.put(OFF_COMPRESSION_TYPE, (byte) o.compressionType().code());
            pos = V3_HEADER_LENGTH;
        }
        if (o.backingFormat() != null) {
            pos = extension(b, pos, EXT_BACKING_FORMAT, o.backingFormat().getBytes(StandardCharsets.UTF_8));
        }
        if (o.dataFile() != null) {
            pos = extension(b, pos, EXT_EXTERNAL_DATA_FILE, o.dataFile().getBytes(StandardCharsets.UTF_8));
        }
        if (HeaderCluster.hasFeatureTable(o.version(), cs)) {
            pos = extension(b, pos, EXT_FEATURE_NAME_TABLE, HeaderCluster.featureNameTable());
        }
        pos = need(b, pos, 8); // end of extensions: 8 zero bytes
        pos += 8;
        if (o.backingFile() != null) {
            byte[] name = o.backingFile().getBytes(StandardCharsets.UTF_8);
            if (name.length > 1023) {
                throw new ImageException("Backing file name too long: " + name.length + " bytes (at most 1023)");
            }
            need(b, pos, name.length);
            b.putLong(OFF_BACKING_OFFSET, pos);
            b.putInt(OFF_BACKING_SIZE, name.length);
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
