package org.qimg.format.qcow2.layout;

import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;
import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.CompressionType;

/**
 * The parsed and validated qcow2 header (v2 or v3) with its header extensions and backing file name.
 * Immutable. {@link #read} checks every field a reader relies on before anything uses it: magic,
 * version, cluster_bits, refcount_order, header_length, table offsets (aligned, inside the file),
 * L1 size against the virtual size, extension lengths, feature bits and encryption.
 */
public final class Qcow2Header {
    private final Path file;
    private final long fileLength;
    private final int version;
    private final int clusterBits;
    private final long virtualSize;
    private final int cryptMethod;
    private final int l1Size;
    private final long l1TableOffset;
    private final long refcountTableOffset;
    private final int refcountTableClusters;
    private final int nbSnapshots;
    private final long snapshotsOffset;
    private final long incompatibleFeatures;
    private final long compatibleFeatures;
    private final long autoclearFeatures;
    private final int refcountOrder;
    private final int headerLength;
    private final CompressionType compressionType;
    private final String backingFile;
    private final HeaderExtensions extensions;

    private Qcow2Header(Path file, long fileLength, HeaderFields raw, HeaderExtensions extensions, String backingFile,
                        CompressionType compressionType) {
        this.file = file;
        this.fileLength = fileLength;
        // each value was range-checked by read() before this narrowing
        this.version = (int) raw.version();
        this.clusterBits = (int) raw.clusterBits();
        this.virtualSize = raw.size();
        this.cryptMethod = (int) raw.cryptMethod();
        this.l1Size = (int) raw.l1Size();
        this.l1TableOffset = raw.l1Offset();
        this.refcountTableOffset = raw.reftableOffset();
        this.refcountTableClusters = (int) raw.reftableClusters();
        this.nbSnapshots = (int) raw.nbSnapshots();
        this.snapshotsOffset = raw.snapshotsOffset();
        this.incompatibleFeatures = raw.incompatible();
        this.compatibleFeatures = raw.compatible();
        this.autoclearFeatures = raw.autoclear();
        this.refcountOrder = (int) raw.refcountOrder();
        this.headerLength = (int) raw.headerLength();
        this.compressionType = compressionType;
        this.backingFile = backingFile;
        this.extensions = extensions;
    }

    /** Reads and validates the header of the qcow2 file open on {@code ch}. */
    public static Qcow2Header read(FileChannel ch, Path file) throws IOException {
        long fileLength = ch.size();
        String f = file.toString();
        // QEMU's rules first, in its order and words; then what qimg asks on top (the detail is the cause)
        HeaderFields raw = QemuOpenRules.readFields(ch, file);
        QemuOpenRules.verify(ch, file, raw, false);
        if (fileLength < V2_HEADER_LENGTH) {
            throw new CorruptImageException(f, 0, "file is " + fileLength
                    + " bytes long, too short for a qcow2 header (at least 72 bytes)");
        }
        long version = raw.version();
        long clusterBits = raw.clusterBits();
        int clusterSize = 1 << clusterBits;
        int headerLength = V2_HEADER_LENGTH;
        if (version == 3) {
            // QEMU reads what header_length says is there, whatever its alignment; bytes past the end of the
            // file read as zeros (no extensions)
            headerLength = (int) raw.headerLength();
        }
        long incompat = raw.incompatible();
        long autoclear = raw.autoclear();

        long backingOffset = raw.backingOffset();
        long backingLength = raw.backingSize();
        long extEnd = clusterSize;
        if (backingOffset != 0) {
            // QemuOpenRules checked it lies within the first cluster; like QEMU, a name that overlaps the header
            // is read as it is
            extEnd = backingOffset;
        }
        HeaderExtensions ext = HeaderExtensions.read(ch, file, headerLength, Math.min(extEnd, fileLength),
                clusterSize, autoclear);
        String backingFile = null;
        if (backingOffset != 0) {
            long len = backingLength;
            if (len > Math.min(MAX_BACKING_NAME, clusterSize - backingOffset)) {
                throw new FileOpenException(f, "Backing file name too long", new CorruptImageException(f,
                        OFF_BACKING_SIZE, "backing file name length must be at most " + MAX_BACKING_NAME
                        + " bytes and end inside the first cluster, found " + len + " bytes at offset "
                        + backingOffset));
            }
            if (len != 0) {
                // as QEMU reads it: zeros past the end of the file, and the name ends at its first NUL
                byte[] name = QemuOpenRules.readZeroPadded(ch, file, backingOffset, (int) len).array();
                int n = 0;
                while (n < name.length && name[n] != 0) {
                    n++;
                }
                backingFile = n == 0 ? null : new String(name, 0, n, StandardCharsets.UTF_8);
            }
        }
        CompressionType ct = CompressionType.fromCode(raw.compressionType());
        if (ct == null) {
            throw new UnsupportedFeatureException(f + ": offset 104 (0x68): unknown compression type "
                    + raw.compressionType() + " (qimg knows 0 = zlib, 1 = zstd)");
        }
        if ((ct != CompressionType.ZLIB) != ((incompat & INCOMPAT_COMPRESSION) != 0)) {
            throw new CorruptImageException(f, OFF_INCOMPAT, "compression type " + ct.qemuName()
                    + " requires the compression-type incompatible bit (3) to be "
                    + (ct == CompressionType.ZLIB ? "clear" : "set") + ", but it is "
                    + ((incompat & INCOMPAT_COMPRESSION) != 0 ? "set" : "clear"));
        }
        Qcow2Header hdr = new Qcow2Header(file, fileLength, raw, ext, backingFile, ct);
        hdr.validate();
        return hdr;
    }

    private void validate() throws IOException {
        String f = file.toString();
        long unknown = incompatibleFeatures & ~INCOMPAT_KNOWN;
        if (unknown != 0) {
            throw new UnsupportedFeatureException(f + ": offset 72 (0x48): unsupported incompatible feature(s): "
                    + describeBits(unknown) + "; qimg cannot read this image");
        }
        if (cryptMethod != 0) {
            String what = cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : null;
            if (what == null) {
                throw new CorruptImageException(f, OFF_CRYPT, "crypt_method must be 0, 1 (AES) or 2 (LUKS), found "
                        + Integer.toUnsignedLong(cryptMethod));
            }
            throw new UnsupportedFeatureException(f + ": image is encrypted (" + what
                    + ", crypt_method " + cryptMethod + " at offset 32); qimg does not read encrypted images");
        }
        if (extensions.cryptoHeaderOffset() >= 0) {
            throw new FileOpenException(f, "CRYPTO header extension only expected with LUKS encryption method",
                    new CorruptImageException(f, -1, "full disk encryption header extension present but the image "
                    + "is not LUKS-encrypted (crypt_method 0)"));
        }
        if (virtualSize < 0) {
            throw new ImageLimitException(f + ": offset 24 (0x18): virtual size " + Long.toUnsignedString(virtualSize)
                    + " is larger than 2^63 - 1 bytes");
        }
        if (hasExtendedL2() && clusterBits < 14) {
            throw new CorruptImageException(f, OFF_CLUSTER_BITS, "extended L2 entries need cluster_bits >= 14 "
                    + "(16 KiB clusters), found " + clusterBits);
        }
        // an external data file the header does not name must be given by options: the opener checks that
        if ((autoclearFeatures & AUTOCLEAR_DATA_FILE_RAW) != 0 && !hasExternalDataFile()) {
            throw new CorruptImageException(f, 88, "data-file-raw autoclear bit (1) is set without an external "
                    + "data file (incompatible bit 2)");
        }
        // L1 table: QEMU's limit, large enough for the virtual size, aligned and inside the file.
        long l1Entries = Integer.toUnsignedLong(l1Size);
        if (l1Entries > MAX_L1_BYTES / 8) {
            throw new ImageLimitException(f + ": offset 36 (0x24): active L1 table of " + l1Entries
                    + " entries exceeds the limit of " + (MAX_L1_BYTES / 8) + " entries (32 MiB)");
        }
        long needed = l1EntriesFor(virtualSize);
        if (l1Entries < needed) {
            throw new CorruptImageException(f, OFF_L1_SIZE, "L1 table too small for virtual size " + virtualSize
                    + ": needs " + needed + " entries, l1_size is " + l1Entries);
        }
        // QemuOpenRules checked the offset; like QEMU, a table past the end of the file reads as zeros
        long rtClusters = Integer.toUnsignedLong(refcountTableClusters);
        if (rtClusters == 0) {
            // QEMU refuses such an image too ("Image does not contain a reference count table")
            throw new CorruptImageException(f, OFF_REFTABLE_CLUSTERS, "refcount_table_clusters must be at least 1, "
                    + "found 0: the image has no refcount table");
        }
        if (rtClusters > MAX_REFCOUNT_TABLE_BYTES >> clusterBits) {
            throw new ImageLimitException(f + ": offset 56 (0x38): refcount table of " + rtClusters
                    + " clusters exceeds the limit of 8 MiB");
        }
        // Reading never uses refcounts, and QEMU opens an image whose refcount table offset is 0 (it only
        // asks for alignment): its check then reads the header as the table and rebuilds. So 0 is allowed
        // here; whatever writes in place refuses it.
        // QemuOpenRules checked the offset; reading never uses refcounts, and like QEMU a table past the end of
        // the file is no reason to refuse the image (what writes in place reads it, and refuses it there)
        long snaps = Integer.toUnsignedLong(nbSnapshots);
        if (snaps > MAX_SNAPSHOTS) {
            throw new ImageLimitException(f + ": offset 60 (0x3c): " + snaps + " snapshots exceed the limit of "
                    + MAX_SNAPSHOTS);
        }
        // QemuOpenRules checked the table's offset; like QEMU, a table past the end of the file reads as zeros
    }

    /** Names set feature bits, using the image's feature name table where it has an entry. */
    String describeBits(long bits) {
        List<String> parts = new ArrayList<>();
        for (int b = 0; b < 64; b++) {
            if ((bits & (1L << b)) != 0) {
                String name = extensions.featureName(0, b);
                parts.add("bit " + b + (name != null ? " (\"" + name + "\")" : ""));
            }
        }
        return String.join(", ", parts);
    }

    /** The number of L1 entries needed to map {@code size} guest bytes. */
    long l1EntriesFor(long size) {
        long l1Coverage = 1L << (clusterBits + l2Bits());
        return size / l1Coverage + (size % l1Coverage != 0 ? 1 : 0);
    }

    public Path file() {
        return file;
    }

    public long fileLength() {
        return fileLength;
    }

    public int version() {
        return version;
    }

    public int clusterBits() {
        return clusterBits;
    }

    public int clusterSize() {
        return 1 << clusterBits;
    }

    /** log2 of the number of entries in an L2 table. */
    public int l2Bits() {
        return clusterBits - (hasExtendedL2() ? 4 : 3);
    }

    public long virtualSize() {
        return virtualSize;
    }

    public int cryptMethod() {
        return cryptMethod;
    }

    /** Entries in the active L1 table (validated to fit in an int and within 32 MiB). */
    public int l1Size() {
        return l1Size;
    }

    public long l1TableOffset() {
        return l1TableOffset;
    }

    public long refcountTableOffset() {
        return refcountTableOffset;
    }

    public int refcountTableClusters() {
        return refcountTableClusters;
    }

    /** Number of internal snapshots (validated to be at most {@link #MAX_SNAPSHOTS}). */
    public int nbSnapshots() {
        return nbSnapshots;
    }

    public long snapshotsOffset() {
        return snapshotsOffset;
    }

    public long incompatibleFeatures() {
        return incompatibleFeatures;
    }

    public long compatibleFeatures() {
        return compatibleFeatures;
    }

    public long autoclearFeatures() {
        return autoclearFeatures;
    }

    public int refcountOrder() {
        return refcountOrder;
    }

    public int refcountBits() {
        return 1 << refcountOrder;
    }

    public int headerLength() {
        return headerLength;
    }

    public CompressionType compressionType() {
        return compressionType;
    }

    /** The backing file name as stored, or null. */
    public String backingFile() {
        return backingFile;
    }

    public HeaderExtensions extensions() {
        return extensions;
    }

    public boolean isDirty() {
        return (incompatibleFeatures & INCOMPAT_DIRTY) != 0;
    }

    public boolean isCorrupt() {
        return (incompatibleFeatures & INCOMPAT_CORRUPT) != 0;
    }

    public boolean hasExternalDataFile() {
        return (incompatibleFeatures & INCOMPAT_DATA_FILE) != 0;
    }

    public boolean hasExtendedL2() {
        return (incompatibleFeatures & INCOMPAT_EXTL2) != 0;
    }

    public boolean lazyRefcounts() {
        return (compatibleFeatures & COMPAT_LAZY_REFCOUNTS) != 0;
    }

    public boolean dataFileRaw() {
        return (autoclearFeatures & AUTOCLEAR_DATA_FILE_RAW) != 0;
    }
}
