package org.qimg.format.qcow2.layout;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.nio.ByteBuffer;

/**
 * The qcow2 header's fields as stored, decoded once and not yet judged (qcow2.txt, "Header"). Unsigned
 * 32-bit fields are held in longs so that no rule has to remember which ones are signed. Version 3 fields
 * read as their version 2 defaults when {@code version} is not 3 (features 0, refcount_order 4,
 * header_length 72); the compression type byte is 0 (zlib) unless header_length reaches past it.
 *
 * <p>Two rule sets judge these values, each in its own words: what QEMU refuses when it opens an image for
 * reading ({@code qcow2.Qcow2Header}), and what {@code qemu-img check} tolerates and reports
 * ({@code qcow2.check.CheckHeader}).
 */
public record HeaderFields(int magic, long version, long backingOffset, long backingSize, long clusterBits,
                           long size, long cryptMethod, long l1Size, long l1Offset, long reftableOffset,
                           long reftableClusters, long nbSnapshots, long snapshotsOffset, long incompatible,
                           long compatible, long autoclear, long refcountOrder, long headerLength,
                           int compressionType) {

    /** Bytes {@link #decode} looks at: the v3 header with its compression type byte, padded. */
    public static final int BYTES = V3_HEADER_LENGTH;

    /**
     * Decodes {@code h}'s first bytes (absolute reads; at least {@link HeaderLayout#V2_HEADER_LENGTH}, and
     * {@link HeaderLayout#V3_MIN_HEADER_LENGTH} for the v3 fields to be read rather than defaulted).
     */
    public static HeaderFields decode(ByteBuffer h) {
        if (h.limit() < V2_HEADER_LENGTH) {
            throw new IllegalArgumentException("a qcow2 header has at least " + V2_HEADER_LENGTH + " bytes");
        }
        long version = u32(h, OFF_VERSION);
        boolean v3 = version == 3 && h.limit() >= V3_MIN_HEADER_LENGTH;
        long headerLength = v3 ? u32(h, OFF_HEADER_LENGTH) : V2_HEADER_LENGTH;
        int compression = v3 && headerLength > OFF_COMPRESSION_TYPE && h.limit() > OFF_COMPRESSION_TYPE
                ? h.get(OFF_COMPRESSION_TYPE) & 0xff : 0;
        return new HeaderFields(h.getInt(OFF_MAGIC), version, h.getLong(OFF_BACKING_OFFSET), u32(h, OFF_BACKING_SIZE),
                u32(h, OFF_CLUSTER_BITS), h.getLong(OFF_SIZE), u32(h, OFF_CRYPT), u32(h, OFF_L1_SIZE),
                h.getLong(OFF_L1_OFFSET), h.getLong(OFF_REFTABLE_OFFSET), u32(h, OFF_REFTABLE_CLUSTERS),
                u32(h, OFF_NB_SNAPSHOTS), h.getLong(OFF_SNAPSHOTS_OFFSET), v3 ? h.getLong(OFF_INCOMPAT) : 0,
                v3 ? h.getLong(OFF_COMPAT) : 0, v3 ? h.getLong(OFF_AUTOCLEAR) : 0,
                v3 ? u32(h, OFF_REFCOUNT_ORDER) : 4, headerLength, compression);
    }

    private static long u32(ByteBuffer h, int at) {
        return Integer.toUnsignedLong(h.getInt(at));
    }
}
