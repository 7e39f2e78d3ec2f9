package org.qimg.format.qcow2.check;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.UnsupportedFeatureException;

/**
 * The header fields the check needs, validated only as far as QEMU validates them when it opens an image
 * for checking: tables may point past the end of the file (the check reports that instead of refusing
 * the image), but sizes are bounded by QEMU's limits before anything is allocated.
 */
final class CheckHeader {
    static final int MAGIC = 0x514649fb;
    static final long INCOMPAT_DIRTY = 1L;
    static final long INCOMPAT_CORRUPT = 1L << 1;
    static final long INCOMPAT_DATA_FILE = 1L << 2;
    static final long INCOMPAT_EXTL2 = 1L << 4;
    static final long INCOMPAT_KNOWN = 0x1fL;
    static final long AUTOCLEAR_BITMAPS = 1L;
    static final int BITMAPS_EXTENSION = 0x23852875;
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFTABLE_BYTES = 8L << 20;
    static final long MAX_SNAPSHOTS = 65536;
    static final long MAX_BITMAP_DIRECTORY = 64L << 20;
    static final int OFF_INCOMPAT = 72;
    static final int OFF_REFTABLE_OFFSET = 48;

    int version;
    int clusterBits;
    long virtualSize;
    int l1Size;
    long l1Offset;
    long reftableOffset;
    long reftableClusters;
    int nbSnapshots;
    long snapshotsOffset;
    long incompatible;
    long autoclear;
    int refcountOrder;
    int headerLength;
    int bitmapCount;
    long bitmapDirSize;
    long bitmapDirOffset;

    int clusterSize() {
        return 1 << clusterBits;
    }

    boolean extendedL2() {
        return (incompatible & INCOMPAT_EXTL2) != 0;
    }

    /** Bytes per L2 entry (8, or 16 with extended L2). */
    int l2EntrySize() {
        return extendedL2() ? 16 : 8;
    }

    int l2Entries() {
        return clusterSize() / l2EntrySize();
    }

    static CheckHeader read(ImageFile file) throws IOException {
        String f = file.path().toString();
        if (file.length() < 72) {
            throw new CorruptImageException(f, 0, "file of " + file.length() + " bytes is too short for a qcow2 header");
        }
        ByteBuffer h = ByteBuffer.wrap(file.read(0, 112));
        if (h.getInt(0) != MAGIC) {
            throw new CorruptImageException(f, 0, "bad magic: expected 0x514649fb, found 0x"
                    + Integer.toHexString(h.getInt(0)));
        }
        CheckHeader c = new CheckHeader();
        c.version = h.getInt(4);
        if (c.version != 2 && c.version != 3) {
            throw new UnsupportedFeatureException(f + ": unsupported qcow2 version " + c.version);
        }
        long bits = Integer.toUnsignedLong(h.getInt(20));
        if (bits < 9 || bits > 21) {
            throw new CorruptImageException(f, 20, "cluster_bits must be 9..21, found " + bits);
        }
        c.clusterBits = (int) bits;
        c.virtualSize = h.getLong(24);
        if (c.virtualSize < 0) {
            throw new ImageLimitException(f + ": virtual size " + Long.toUnsignedString(c.virtualSize) + " is too large");
        }
        if (h.getInt(32) != 0) {
            throw new UnsupportedFeatureException(f + ": encrypted images cannot be checked by qimg");
        }
        c.l1Size = h.getInt(36);
        c.l1Offset = h.getLong(40);
        c.reftableOffset = h.getLong(48);
        c.reftableClusters = Integer.toUnsignedLong(h.getInt(56));
        c.nbSnapshots = h.getInt(60);
        c.snapshotsOffset = h.getLong(64);
        c.headerLength = 72;
        c.refcountOrder = 4;
        if (c.version == 3) {
            c.incompatible = h.getLong(72);
            c.autoclear = h.getLong(88);
            long order = Integer.toUnsignedLong(h.getInt(96));
            if (order > 6) {
                throw new CorruptImageException(f, 96, "refcount_order must be 0..6, found " + order);
            }
            c.refcountOrder = (int) order;
            long hl = Integer.toUnsignedLong(h.getInt(100));
            if (hl < 104 || hl > c.clusterSize()) {
                throw new CorruptImageException(f, 100, "header_length must be 104.." + c.clusterSize() + ", found " + hl);
            }
            c.headerLength = (int) hl;
        }
        if ((c.incompatible & ~INCOMPAT_KNOWN) != 0) {
            throw new UnsupportedFeatureException(f + ": unsupported incompatible features 0x"
                    + Long.toHexString(c.incompatible & ~INCOMPAT_KNOWN));
        }
        if ((c.incompatible & INCOMPAT_DATA_FILE) != 0) {
            throw new UnsupportedFeatureException(f + ": qimg cannot check images with an external data file");
        }
        c.validate(f);
        c.readExtensions(file, h.getLong(8));
        return c;
    }

    private void validate(String f) throws IOException {
        long l1 = Integer.toUnsignedLong(l1Size);
        if (l1 > MAX_L1_BYTES / 8) {
            throw new ImageLimitException(f + ": active L1 table of " + l1 + " entries exceeds 32 MiB");
        }
        long coverage = 1L << (clusterBits + clusterBits - (extendedL2() ? 4 : 3));
        long needed = virtualSize / coverage + (virtualSize % coverage != 0 ? 1 : 0);
        if (l1 < needed) {
            throw new CorruptImageException(f, 36, "L1 table too small: needs " + needed + " entries, l1_size is " + l1);
        }
        aligned(f, 40, "L1 table", l1Offset, l1);
        if (reftableClusters == 0 || reftableClusters > MAX_REFTABLE_BYTES >> clusterBits) {
            throw new CorruptImageException(f, 56, "refcount table must have 1.." + (MAX_REFTABLE_BYTES >> clusterBits)
                    + " clusters, found " + reftableClusters);
        }
        aligned(f, 48, "refcount table", reftableOffset, reftableClusters);
        long snaps = Integer.toUnsignedLong(nbSnapshots);
        if (snaps > MAX_SNAPSHOTS) {
            throw new ImageLimitException(f + ": " + snaps + " snapshots exceed the limit of " + MAX_SNAPSHOTS);
        }
        aligned(f, 64, "snapshot table", snapshotsOffset, snaps);
    }

    private void aligned(String f, int field, String what, long offset, long count) throws CorruptImageException {
        if (count > 0 && (offset <= 0 || (offset & (clusterSize() - 1)) != 0)) {
            throw new CorruptImageException(f, field, what + " offset must be a positive multiple of the cluster "
                    + "size " + clusterSize() + ", found " + offset);
        }
    }

    private void readExtensions(ImageFile file, long backingOffset) throws IOException {
        long end = backingOffset > headerLength && backingOffset <= clusterSize() ? backingOffset : clusterSize();
        end = Math.min(end, file.length());
        if (end <= headerLength) {
            return;
        }
        ByteBuffer a = ByteBuffer.wrap(file.read(headerLength, (int) (end - headerLength)));
        int pos = 0;
        while (a.limit() - pos >= 8) {
            int type = a.getInt(pos);
            long len = Integer.toUnsignedLong(a.getInt(pos + 4));
            pos += 8;
            if (type == 0 || len > a.limit() - pos) {
                break;
            }
            if (type == BITMAPS_EXTENSION && len >= 24 && (autoclear & AUTOCLEAR_BITMAPS) != 0) {
                bitmapCount = a.getInt(pos);
                bitmapDirSize = a.getLong(pos + 8);
                bitmapDirOffset = a.getLong(pos + 16);
                if (bitmapCount < 0 || bitmapDirSize < 0 || bitmapDirSize > MAX_BITMAP_DIRECTORY) {
                    throw new CorruptImageException(file.path().toString(), headerLength + pos, "bitmaps extension: "
                            + "directory of " + bitmapDirSize + " bytes exceeds " + MAX_BITMAP_DIRECTORY);
                }
            }
            pos += (int) ((len + 7) & ~7L);
        }
    }
}
