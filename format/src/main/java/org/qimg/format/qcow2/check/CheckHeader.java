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
    static final long INCOMPAT_COMPRESSION = 1L << 3;
    static final long INCOMPAT_EXTL2 = 1L << 4;
    static final long INCOMPAT_KNOWN = 0x1fL;
    static final long AUTOCLEAR_BITMAPS = 1L;
    static final long AUTOCLEAR_DATA_FILE_RAW = 1L << 1;
    static final long AUTOCLEAR_KNOWN = AUTOCLEAR_BITMAPS | AUTOCLEAR_DATA_FILE_RAW;
    static final int BITMAPS_EXTENSION = 0x23852875;
    static final int BACKING_FORMAT_EXTENSION = 0xe2792aca;
    static final int CRYPTO_EXTENSION = 0x0537be77;
    static final int DATA_FILE_EXTENSION = 0x44415441;
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFTABLE_BYTES = 8L << 20;
    static final long MAX_BITMAPS = 65535;
    static final long MAX_BITMAP_DIRECTORY = 1024 * MAX_BITMAPS;
    static final int OFF_INCOMPAT = 72;
    static final int OFF_AUTOCLEAR = 88;
    static final int OFF_REFTABLE_OFFSET = 48;
    static final int OFF_COMPRESSION_TYPE = 104;

    int version;
    int clusterBits;
    long virtualSize;
    int l1Size;
    long l1Offset;
    long reftableOffset;
    long reftableClusters;
    /** Unsigned; checked (and with -r all reduced) by {@link CheckSnapshots}, as QEMU checks it only then. */
    long nbSnapshots;
    long snapshotsOffset;
    long incompatible;
    long autoclear;
    int refcountOrder;
    int headerLength;
    int bitmapCount;
    long bitmapDirSize;
    long bitmapDirOffset;
    /** The external data file name from its header extension, or null. */
    String dataFileName;
    /** A bitmaps extension without the bitmaps autoclear bit: QEMU ignores it, with a warning. */
    boolean staleBitmaps;

    int clusterSize() {
        return 1 << clusterBits;
    }

    /**
     * Guest data lives in an external data file: its clusters have no refcounts in this file, and an L2
     * entry with offset 0 and COPIED set maps data file offset 0.
     */
    boolean hasDataFile() {
        return (incompatible & INCOMPAT_DATA_FILE) != 0;
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
        c.nbSnapshots = Integer.toUnsignedLong(h.getInt(60));
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
        long backingOffset = h.getLong(8);
        if (Long.compareUnsigned(backingOffset, c.clusterSize()) > 0) {
            throw new CorruptImageException(f, 8, "invalid backing file offset: must lie within the first cluster ("
                    + c.clusterSize() + " bytes), found " + Long.toUnsignedString(backingOffset));
        }
        if (c.extendedL2() && c.clusterSize() / 32 < 512) {
            // QEMU: subclusters (1/32 of a cluster) must be at least 512 bytes
            throw new UnsupportedFeatureException(f + ": extended L2 entries need clusters of at least 16 KiB, "
                    + "found " + c.clusterSize() + " (subclusters of " + c.clusterSize() / 32 + " bytes)");
        }
        c.checkCompressionType(f, h);
        c.validate(f);
        c.readExtensions(file, backingOffset);
        if ((c.autoclear & AUTOCLEAR_DATA_FILE_RAW) != 0 && !c.hasDataFile()) {
            throw new CorruptImageException(f, 88, "data-file-raw autoclear bit (1) is set without an external "
                    + "data file");
        }
        if (c.hasDataFile() && c.dataFileName == null) {
            throw new UnsupportedFeatureException(f + ": image uses an external data file (incompatible bit 2) but "
                    + "names none in its header; qimg cannot be told one");
        }
        if (backingOffset != 0) {
            long len = Integer.toUnsignedLong(h.getInt(16));
            if (len > Math.min(1023, c.clusterSize() - backingOffset)) {
                throw new CorruptImageException(f, 16, "backing file name of " + len + " bytes at offset "
                        + backingOffset + " is too long (at most 1023 bytes, inside the first cluster)");
            }
        }
        return c;
    }

    /** The compression type byte (v3 headers longer than 104 bytes) and its incompatible bit must agree. */
    private void checkCompressionType(String f, ByteBuffer h) throws IOException {
        int type = headerLength > OFF_COMPRESSION_TYPE ? h.get(OFF_COMPRESSION_TYPE) & 0xff : 0;
        if (type > 1) {
            throw new UnsupportedFeatureException(f + ": offset 104 (0x68): unknown compression type " + type
                    + " (qimg knows 0 = zlib, 1 = zstd)");
        }
        boolean bit = (incompatible & INCOMPAT_COMPRESSION) != 0;
        if ((type != 0) != bit) {
            throw new CorruptImageException(f, OFF_INCOMPAT, "compression type " + (type == 0 ? "zlib" : "zstd")
                    + " requires the compression-type incompatible bit (3) to be " + (type == 0 ? "clear" : "set")
                    + ", but it is " + (bit ? "set" : "clear"));
        }
    }

    /** The tables in QEMU's order (qcow2_do_open): refcount table, then the active L1 table. */
    private void validate(String f) throws IOException {
        // no refcount table at all (0 clusters) is for the check to report, as QEMU does with BDRV_O_CHECK
        if (reftableClusters > MAX_REFTABLE_BYTES >> clusterBits) {
            throw new CorruptImageException(f, 56, "refcount table must have at most "
                    + (MAX_REFTABLE_BYTES >> clusterBits) + " clusters, found " + reftableClusters);
        }
        // QEMU asks no more of the refcount table than this: at offset 0 its check reads the header as the
        // table, reports what that gives and rebuilds with -r all; so does qimg
        validateTable(f, 48, "refcount table", reftableOffset, reftableClusters << clusterBits);
        long l1 = Integer.toUnsignedLong(l1Size);
        if (l1 > MAX_L1_BYTES / 8) {
            throw new ImageLimitException(f + ": active L1 table of " + l1 + " entries exceeds 32 MiB");
        }
        validateTable(f, 40, "L1 table", l1Offset, l1 * 8);
        long coverage = 1L << (clusterBits + clusterBits - (extendedL2() ? 4 : 3));
        long needed = virtualSize / coverage + (virtualSize % coverage != 0 ? 1 : 0);
        if (l1 < needed) {
            throw new CorruptImageException(f, 36, "L1 table too small: needs " + needed + " entries, l1_size is " + l1);
        }
        // the snapshot table is validated by the check itself (CheckSnapshots), as QEMU does in check mode
    }

    /**
     * QEMU's qcow2_validate_table (sizes are bounded by the caller): the offset must be cluster aligned,
     * even for an empty table, and the table must end below 2^63.
     */
    private void validateTable(String f, int field, String what, long offset, long bytes)
            throws CorruptImageException {
        if ((offset & (clusterSize() - 1)) != 0) {
            throw new CorruptImageException(f, field, what + " offset must be a multiple of the cluster size "
                    + clusterSize() + ", found " + Long.toUnsignedString(offset));
        }
        endsInRange(f, field, what, offset, bytes);
    }

    /** As QEMU's qcow2_validate_table: the table must end below 2^63 ({@code bytes} is bounded by the caller). */
    private static void endsInRange(String f, int field, String what, long offset, long bytes)
            throws CorruptImageException {
        if (Long.compareUnsigned(offset, Long.MAX_VALUE - bytes) > 0) {
            throw new CorruptImageException(f, field, what + " of " + bytes + " bytes at offset "
                    + Long.toUnsignedString(offset) + " ends past 2^63");
        }
    }

    /**
     * Walks the header extensions as QEMU's qcow2_read_extensions does when it opens the image: up to the
     * backing file name (or the end of the first cluster), an extension that runs past that end, a backing
     * format name of 16 bytes or more and a LUKS header extension (the image is not LUKS-encrypted here)
     * are errors; bytes past the end of the file read as zeros.
     */
    private void readExtensions(ImageFile file, long backingOffset) throws IOException {
        String f = file.path().toString();
        long end = backingOffset != 0 ? backingOffset : clusterSize();
        if (end <= headerLength) {
            return;
        }
        ByteBuffer a = ByteBuffer.wrap(file.read(headerLength, (int) (end - headerLength)));
        int pos = 0;
        while (pos < a.limit()) {
            long at = headerLength + pos;
            if (a.limit() - pos < 8) {
                throw new CorruptImageException(f, at, "header extension too large: its 8-byte header crosses "
                        + "offset " + end);
            }
            int type = a.getInt(pos);
            long len = Integer.toUnsignedLong(a.getInt(pos + 4));
            pos += 8;
            if (len > a.limit() - pos) {
                throw new CorruptImageException(f, at, String.format("header extension too large: 0x%08x has "
                        + "length %d, but only %d bytes remain before offset %d", type, len, a.limit() - pos, end));
            }
            if (type == 0) {
                return;
            }
            if (type == BACKING_FORMAT_EXTENSION && len >= 16) {
                throw new CorruptImageException(f, at, "backing format name must be at most 15 bytes, found " + len);
            }
            if (type == DATA_FILE_EXTENSION && len > 0) {
                dataFileName = new String(a.array(), pos, (int) len, java.nio.charset.StandardCharsets.UTF_8);
            }
            if (type == CRYPTO_EXTENSION) {
                throw new CorruptImageException(f, at, "full disk encryption header extension present but the image "
                        + "is not LUKS-encrypted (crypt_method 0)");
            }
            if (type == BITMAPS_EXTENSION) {
                readBitmapsExtension(f, a, pos, at, len);
            }
            pos += (int) ((len + 7) & ~7L);
        }
    }

    /**
     * The bitmaps extension as qcow2_read_extensions takes it: exactly 24 bytes; without the bitmaps
     * autoclear bit it is ignored (another program changed the file); else the reserved field must be 0,
     * 1..65535 bitmaps, a cluster aligned directory of at most 1024 * 65535 bytes.
     */
    private void readBitmapsExtension(String f, ByteBuffer a, int pos, long at, long len)
            throws CorruptImageException {
        if (len != 24) {
            throw new CorruptImageException(f, at + 4, "bitmaps extension: length must be 24, found " + len);
        }
        if ((autoclear & AUTOCLEAR_BITMAPS) == 0) {
            staleBitmaps = true;
            return;
        }
        long count = Integer.toUnsignedLong(a.getInt(pos));
        long dirSize = a.getLong(pos + 8);
        long dirOffset = a.getLong(pos + 16);
        if (a.getInt(pos + 4) != 0) {
            throw new CorruptImageException(f, at + 12, "bitmaps extension: reserved field is not zero");
        }
        if (count > MAX_BITMAPS || count == 0) {
            throw new CorruptImageException(f, at + 8, "bitmaps extension: 1.." + MAX_BITMAPS
                    + " bitmaps expected, found " + count);
        }
        if ((dirOffset & (clusterSize() - 1)) != 0) {
            throw new CorruptImageException(f, at + 24, "bitmaps extension: directory offset "
                    + Long.toUnsignedString(dirOffset) + " is not a multiple of the cluster size " + clusterSize());
        }
        if (Long.compareUnsigned(dirSize, MAX_BITMAP_DIRECTORY) > 0) {
            throw new CorruptImageException(f, at + 16, "bitmaps extension: directory of "
                    + Long.toUnsignedString(dirSize) + " bytes exceeds " + MAX_BITMAP_DIRECTORY);
        }
        bitmapCount = (int) count;
        bitmapDirSize = dirSize;
        bitmapDirOffset = dirOffset;
    }
}
