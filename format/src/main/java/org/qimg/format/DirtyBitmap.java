package org.qimg.format;

import java.io.IOException;

/**
 * A persistent dirty bitmap as stored in an image (qcow2's "Bitmaps" extension), for reading: one bit per
 * {@link #granularity()} bytes of the disk's first {@link #size()} bytes. Its bits are read in QEMU's
 * serialized order: bit {@code i} is bit {@code i % 8} (least significant first) of byte {@code i / 8}.
 */
public interface DirtyBitmap {
    String name();

    /** Bytes of the disk one bit stands for: a power of two, 512 .. 2^31. */
    long granularity();

    /** Bytes of the disk the bitmap covers (the virtual size in whole 512-byte sectors, as QEMU's). */
    long size();

    /** Whether the bitmap records new writes ({@code auto} flag); false for a disabled one. */
    boolean enabled();

    /** Marked in use by a program that did not save it: its bits cannot be trusted or read. */
    boolean inconsistent();

    /**
     * Reads {@code len} bytes of serialized bits from byte {@code from} into {@code dst[off..]}; bits past
     * the end of the bitmap read as 0. Returns false when the bytes are all zero (they are written then too).
     */
    boolean read(long from, byte[] dst, int off, int len) throws IOException;
}
