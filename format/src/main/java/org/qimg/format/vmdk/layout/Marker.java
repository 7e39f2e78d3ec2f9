package org.qimg.format.vmdk.layout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The markers of a streamOptimized extent ("Virtual Disk Format 5.0", "Stream-Optimized Compressed Sparse
 * Extents"). Every marker starts on a sector boundary with a little-endian {@code uint64 lba} and
 * {@code uint32 size}. A grain marker has {@code size > 0}: {@code lba} is the grain's first guest sector and
 * {@code size} compressed bytes follow at {@link #GRAIN_DATA_OFFSET}, padded to a sector boundary. A metadata
 * marker has {@code size == 0}, a {@code uint32 type} at {@link #OFF_TYPE}, the rest of its sector zero, and
 * {@code lba} sectors of payload after it (the grain table, directory or footer).
 */
public final class Marker {
    private Marker() {
    }

    public static final int OFF_LBA = 0;
    public static final int OFF_SIZE = 8;
    public static final int OFF_TYPE = 12;
    /** Where a grain marker's compressed bytes start. */
    public static final int GRAIN_DATA_OFFSET = 12;

    public static final int TYPE_EOS = 0;
    public static final int TYPE_GT = 1;
    public static final int TYPE_GD = 2;
    public static final int TYPE_FOOTER = 3;

    /** A metadata marker sector: {@code sectors} of payload of {@code type} follow it. */
    public static ByteBuffer metadata(int type, long sectors) {
        ByteBuffer m = ByteBuffer.allocate(SparseLayout.SECTOR).order(ByteOrder.LITTLE_ENDIAN);
        m.putLong(OFF_LBA, sectors).putInt(OFF_SIZE, 0).putInt(OFF_TYPE, type);
        return m;
    }
}
