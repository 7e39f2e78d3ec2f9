package org.qimg.converters.compare;

import java.io.IOException;
import java.util.Optional;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageLayout;

/**
 * The block status flags and run length QEMU 7.2's {@code bdrv_block_status_above(bs, NULL, ...)} returns,
 * which {@code qemu-img compare -s} compares flag for flag. Besides data/zero/allocated this includes
 * "offset valid" (the range has a host offset) and "EOF" (the run reaches the end of the image), so the
 * run lengths must be QEMU's too: a run of an image with clusters (qcow2) stops at the end of the mapping
 * table that maps it ({@link ImageLayout#tableSpan()}), at the end of a compressed cluster and at 2^31 - 1
 * bytes, and a data run stops where its host clusters stop being contiguous. Reads only metadata.
 *
 * @param flags  a bit set of the {@code BDRV_BLOCK_*} values below
 * @param length bytes from the queried offset with these flags (&gt; 0)
 */
record QemuBlockStatus(int flags, long length) {
    static final int DATA = 0x01;
    static final int ZERO = 0x02;
    static final int OFFSET_VALID = 0x04;
    static final int ALLOCATED = 0x10;
    static final int EOF = 0x20;

    boolean zero() {
        return (flags & ZERO) != 0;
    }

    /** bdrv_co_common_block_status_above with no base: the top layer, then down the backing chain. */
    static QemuBlockStatus at(DiskImage top, long offset, long bytes) throws IOException {
        QemuBlockStatus s = layer(top, offset, bytes);
        if (s.length == 0 || (s.flags & ALLOCATED) != 0) {
            return s;
        }
        long eof = (s.flags & EOF) != 0 ? offset + s.length : 0;
        long want = s.length;
        int flags = s.flags;
        long len = s.length;
        Optional<DiskImage> p = top.backing();
        while (p.isPresent()) {
            QemuBlockStatus b = layer(p.get(), offset, want);
            if (b.length == 0) {
                // past the end of a shorter backing file: zeros, as if allocated there
                flags = ZERO | ALLOCATED;
                len = want;
                break;
            }
            flags = b.flags;
            len = b.length;
            if ((flags & ALLOCATED) != 0) {
                flags &= ~EOF;
                break;
            }
            want = len;
            p = p.get().backing();
        }
        if (offset + len == eof) {
            flags |= EOF;
        }
        return new QemuBlockStatus(flags, len);
    }

    /** bdrv_co_block_status of one layer (format driver, and the file under it where QEMU asks it). */
    private static QemuBlockStatus layer(DiskImage img, long offset, long bytes) throws IOException {
        long total = img.virtualSize();
        if (offset >= total) {
            return new QemuBlockStatus(EOF, 0);
        }
        bytes = Math.min(bytes, total - offset);
        Extent e = img.extentAt(offset, bytes);
        long len = Math.min(e.length(), bytes);
        int flags;
        ImageLayout layout = img.layout();
        if (!layout.flat()) {
            len = Math.min(len, runLimit(layout, offset, e));
            flags = 0;
            if (e.hostOffset() >= 0 && !e.compressed()) {
                flags |= OFFSET_VALID;
            }
            switch (e.status()) {
                case DATA -> {
                    flags |= DATA | ALLOCATED;
                    // metadata-preallocated data over a hole in the file (QEMU asks the file; its
                    // internal "recurse" flag is cleared again by QEMU 7.2.x stable before it returns)
                    if (e.hostZero()) {
                        flags |= ZERO;
                    }
                }
                case ZERO -> flags |= ZERO | ALLOCATED;
                case UNALLOCATED -> {
                    Optional<DiskImage> b = img.backing();
                    if (b.isEmpty() || offset >= b.get().virtualSize()) {
                        flags |= ZERO;
                    }
                }
                default -> throw new IllegalStateException();
            }
        } else {
            // raw over a file: the file's data/hole status, always with a host offset
            flags = (e.status() == Extent.Status.DATA ? DATA : ZERO) | OFFSET_VALID | ALLOCATED;
        }
        if (offset + len == total) {
            flags |= EOF;
        }
        return new QemuBlockStatus(flags, len);
    }

    /**
     * How far one call of the format driver reaches from {@code offset} (qcow2_get_host_offset for qcow2): at
     * most INT_MAX bytes, to the end of the mapping table (QEMU's default L2 slice is a whole table), and a
     * compressed cluster on its own.
     */
    private static long runLimit(ImageLayout layout, long offset, Extent e) {
        long limit = Integer.MAX_VALUE;
        long span = layout.tableSpan();
        if (span > 0) {
            limit = Math.min(limit, span - (offset & (span - 1)));
        }
        if (e.compressed()) {
            long cs = layout.clusterSize();
            limit = Math.min(limit, cs - (offset & (cs - 1)));
        }
        return limit;
    }
}
