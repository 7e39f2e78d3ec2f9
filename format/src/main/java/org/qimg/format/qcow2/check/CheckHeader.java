package org.qimg.format.qcow2.check;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.qimg.format.CorruptImageException;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.qcow2.layout.ExtensionWalk;
import org.qimg.format.qcow2.layout.HeaderExtensions;
import org.qimg.format.qcow2.layout.HeaderFields;
import org.qimg.format.qcow2.layout.QemuOpenRules;

/**
 * The header fields the check needs, validated only as far as QEMU validates them when it opens an image
 * for checking: tables may point past the end of the file (the check reports that instead of refusing
 * the image), but sizes are bounded by QEMU's limits before anything is allocated.
 */
final class CheckHeader {

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
        // QEMU's open rules in check mode first, in its order and words; then what the check needs on top
        HeaderFields fields = HeaderFields.decode(ByteBuffer.wrap(file.read(0, HeaderFields.BYTES)));
        QemuOpenRules.verify((off, len) -> ByteBuffer.wrap(file.read(off, len)), file.path(), fields, true);
        if (file.length() < V2_HEADER_LENGTH) {
            throw new CorruptImageException(f, 0, "file of " + file.length() + " bytes is too short for a qcow2 header");
        }
        HeaderFields raw = HeaderFields.decode(ByteBuffer.wrap(file.read(0, HeaderFields.BYTES)));
        if (raw.magic() != MAGIC) {
            throw new CorruptImageException(f, 0, "bad magic: expected 0x514649fb, found 0x"
                    + Integer.toHexString(raw.magic()));
        }
        CheckHeader c = new CheckHeader();
        if (raw.version() != 2 && raw.version() != 3) {
            throw new UnsupportedFeatureException(f + ": unsupported qcow2 version " + (int) raw.version());
        }
        c.version = (int) raw.version();
        long bits = raw.clusterBits();
        if (bits < MIN_CLUSTER_BITS || bits > MAX_CLUSTER_BITS) {
            throw new CorruptImageException(f, OFF_CLUSTER_BITS, "cluster_bits must be 9..21, found " + bits);
        }
        c.clusterBits = (int) bits;
        c.virtualSize = raw.size();
        if (c.virtualSize < 0) {
            throw new ImageLimitException(f + ": virtual size " + Long.toUnsignedString(c.virtualSize) + " is too large");
        }
        if (raw.cryptMethod() != 0) {
            throw new UnsupportedFeatureException(f + ": encrypted images cannot be checked by qimg");
        }
        c.l1Size = (int) raw.l1Size();
        c.l1Offset = raw.l1Offset();
        c.reftableOffset = raw.reftableOffset();
        c.reftableClusters = raw.reftableClusters();
        c.nbSnapshots = raw.nbSnapshots();
        c.snapshotsOffset = raw.snapshotsOffset();
        c.incompatible = raw.incompatible();
        c.autoclear = raw.autoclear();
        c.headerLength = V2_HEADER_LENGTH;
        c.refcountOrder = 4;
        if (c.version == 3) {
            long order = raw.refcountOrder();
            if (order > MAX_REFCOUNT_ORDER) {
                throw new CorruptImageException(f, OFF_REFCOUNT_ORDER, "refcount_order must be 0..6, found " + order);
            }
            c.refcountOrder = (int) order;
            long hl = raw.headerLength();
            if (hl < V3_MIN_HEADER_LENGTH || hl > c.clusterSize()) {
                throw new CorruptImageException(f, OFF_HEADER_LENGTH, "header_length must be 104.." + c.clusterSize()
                        + ", found " + hl);
            }
            c.headerLength = (int) hl;
        }
        if ((c.incompatible & ~INCOMPAT_KNOWN) != 0) {
            throw new UnsupportedFeatureException(f + ": unsupported incompatible features 0x"
                    + Long.toHexString(c.incompatible & ~INCOMPAT_KNOWN));
        }
        long backingOffset = raw.backingOffset();
        if (Long.compareUnsigned(backingOffset, c.clusterSize()) > 0) {
            throw new CorruptImageException(f, OFF_BACKING_OFFSET, "invalid backing file offset: must lie within the first cluster ("
                    + c.clusterSize() + " bytes), found " + Long.toUnsignedString(backingOffset));
        }
        if (c.extendedL2() && c.clusterSize() / 32 < 512) {
            // QEMU: subclusters (1/32 of a cluster) must be at least 512 bytes
            throw new UnsupportedFeatureException(f + ": extended L2 entries need clusters of at least 16 KiB, "
                    + "found " + c.clusterSize() + " (subclusters of " + c.clusterSize() / 32 + " bytes)");
        }
        c.checkCompressionType(f, raw.compressionType());
        c.validate(f);
        c.readExtensions(file, backingOffset);
        if ((c.autoclear & AUTOCLEAR_DATA_FILE_RAW) != 0 && !c.hasDataFile()) {
            throw new CorruptImageException(f, OFF_AUTOCLEAR, "data-file-raw autoclear bit (1) is set without an external "
                    + "data file");
        }
        if (c.hasDataFile() && c.dataFileName == null) {
            throw new UnsupportedFeatureException(f + ": image uses an external data file (incompatible bit 2) but "
                    + "names none in its header; qimg cannot be told one");
        }
        if (backingOffset != 0) {
            long len = raw.backingSize();
            if (len > Math.min(MAX_BACKING_NAME, c.clusterSize() - backingOffset)) {
                throw new FileOpenException(f, "Backing file name too long", new CorruptImageException(f,
                        OFF_BACKING_SIZE, "backing file name of " + len + " bytes at offset " + backingOffset
                        + " is too long (at most 1023 bytes, inside the first cluster)"));
            }
        }
        return c;
    }

    /** The compression type byte (v3 headers longer than 104 bytes) and its incompatible bit must agree. */
    private void checkCompressionType(String f, int type) throws IOException {
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
        if (reftableClusters > MAX_REFCOUNT_TABLE_BYTES >> clusterBits) {
            throw new CorruptImageException(f, 56, "refcount table must have at most "
                    + (MAX_REFCOUNT_TABLE_BYTES >> clusterBits) + " clusters, found " + reftableClusters);
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
        ExtensionWalk.walk(a, headerLength, f, x -> {
            if (x.type() == EXT_BACKING_FORMAT && x.length() >= 16) {
                throw new FileOpenException(f, "ERROR: ext_backing_format: len=" + x.length() + " too large (>=16)",
                        new CorruptImageException(f, x.at(), "backing format name must be at most 15 bytes, found "
                        + x.length()));
            }
            if (x.type() == EXT_EXTERNAL_DATA_FILE && x.length() > 0) {
                dataFileName = new String(a.array(), x.payload(), x.length(), StandardCharsets.UTF_8);
            }
            if (x.type() == EXT_FULL_DISK_ENCRYPTION) {
                throw new FileOpenException(f, "CRYPTO header extension only expected with LUKS encryption method",
                        new CorruptImageException(f, x.at(), "full disk encryption header extension present but the "
                        + "image is not LUKS-encrypted (crypt_method 0)"));
            }
            if (x.type() == EXT_BITMAPS) {
                readBitmapsExtension(f, a, x.payload(), x.at(), x.length());
            }
        });
    }

    /**
     * The bitmaps extension as qcow2_read_extensions takes it: exactly 24 bytes; without the bitmaps
     * autoclear bit it is ignored (another program changed the file); else the reserved field must be 0,
     * 1..65535 bitmaps, a cluster aligned directory of at most 1024 * 65535 bytes.
     */
    private void readBitmapsExtension(String f, ByteBuffer a, int pos, long at, long len) throws IOException {
        HeaderExtensions.Bitmaps b = HeaderExtensions.bitmaps(a, pos, (int) len, at, f, autoclear, clusterSize());
        if (b == null) {
            staleBitmaps = true;
            return;
        }
        bitmapCount = b.count();
        bitmapDirSize = b.directorySize();
        bitmapDirOffset = b.directoryOffset();
    }
}
