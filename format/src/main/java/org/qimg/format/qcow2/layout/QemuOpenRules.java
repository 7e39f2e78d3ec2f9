package org.qimg.format.qcow2.layout;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.qimg.format.CorruptImageException;
import org.qimg.format.FileOpenException;
import org.qimg.format.io.Positional;

/**
 * The header rules QEMU 7.2's {@code qcow2_do_open} applies, in its order and with its words, up to reading
 * the L1 table: a failure is qemu-img's line {@code Could not open 'F': <reason>} ({@link FileOpenException}),
 * and qimg's own description of what is wrong (field, offset, values) is kept as the exception's cause, which
 * {@code --debug} prints. Bytes past the end of the file read as zeros, as QEMU's block layer reads them.
 *
 * <p>Both views of the header use these rules first: opening for reading ({@link Qcow2Header}) and for a check
 * ({@code check.CheckHeader}, {@code checkMode}: QEMU's {@code BDRV_O_CHECK} skips the refcount table's
 * presence and the snapshot table); each then adds the rules only it needs.
 */
public final class QemuOpenRules {
    /** QEMU's QCOW_MAX_SNAPSHOTS. */
    private static final long MAX_SNAPSHOT_COUNT = 65536;
    /** sizeof(QCowSnapshotHeader). */
    private static final long SNAPSHOT_HEAD_BYTES = 40;
    /** sizeof(Qcow2Feature): type, bit, 46 bytes of name. */
    private static final int FEATURE_ENTRY_BYTES = 48;
    private static final int FEATURE_NAME_BYTES = 46;

    private QemuOpenRules() {
    }

    /** The image's bytes as QEMU reads them: {@code len} bytes from {@code offset}, zeros past the end. */
    @FunctionalInterface
    public interface Bytes {
        ByteBuffer read(long offset, int len) throws IOException;
    }

    /**
     * Reads the header bytes QEMU reads (the v3 header with the compression type byte), zero-padded past the
     * end of the file.
     */
    public static HeaderFields readFields(FileChannel ch, Path file) throws IOException {
        ByteBuffer h = readZeroPadded(ch, file, 0, HeaderFields.BYTES);
        return HeaderFields.decode(h);
    }

    /**
     * Applies QEMU's open rules to {@code raw}, in QEMU's order.
     *
     * @param checkMode true for {@code qemu-img check}, which opens with BDRV_O_CHECK
     */
    public static void verify(FileChannel ch, Path file, HeaderFields raw, boolean checkMode) throws IOException {
        verify((off, len) -> readZeroPadded(ch, file, off, len), file, raw, checkMode);
    }

    /** {@link #verify(FileChannel, Path, HeaderFields, boolean)} over any source of the image's bytes. */
    public static void verify(Bytes ch, Path file, HeaderFields raw, boolean checkMode) throws IOException {
        String f = file.toString();
        if (raw.magic() != MAGIC) {
            throw fail(f, "Image is not in qcow2 format", 0, "bad magic: expected 0x514649fb (\"QFI\\xfb\"), found 0x"
                    + Integer.toHexString(raw.magic()));
        }
        long version = raw.version();
        if (version < 2 || version > 3) {
            throw fail(f, "Unsupported qcow2 version " + version, OFF_VERSION, "qimg reads versions 2 and 3, found "
                    + version);
        }
        long bits = raw.clusterBits();
        if (bits < MIN_CLUSTER_BITS || bits > MAX_CLUSTER_BITS) {
            throw fail(f, "Unsupported cluster size: 2^" + bits, OFF_CLUSTER_BITS,
                    "cluster_bits must be 9..21 (512 B..2 MiB), found " + bits);
        }
        long clusterSize = 1L << bits;
        long headerLength = raw.headerLength();
        if (version == 3 && headerLength < V3_MIN_HEADER_LENGTH) {
            throw fail(f, "qcow2 header too short", OFF_HEADER_LENGTH, "header_length must be at least 104, found "
                    + headerLength);
        }
        if (headerLength > clusterSize) {
            throw fail(f, "qcow2 header exceeds cluster size", OFF_HEADER_LENGTH, "header_length " + headerLength
                    + " exceeds the cluster size " + clusterSize);
        }
        if (Long.compareUnsigned(raw.backingOffset(), clusterSize) > 0) {
            throw fail(f, "Invalid backing file offset", OFF_BACKING_OFFSET, "backing_file_offset must lie within "
                    + "the first cluster (" + clusterSize + " bytes), found " + Long.toUnsignedString(raw.backingOffset()));
        }
        long extEnd = raw.backingOffset() != 0 ? raw.backingOffset() : clusterSize;
        compression(f, raw);
        long unknown = raw.incompatible() & ~INCOMPAT_KNOWN;
        if (unknown != 0) {
            ByteBuffer table = featureTable(ch, headerLength, extEnd);
            throw fail(f, "Unsupported qcow2 feature(s): " + unsupported(table, unknown), OFF_INCOMPAT,
                    "unknown incompatible feature bits 0x" + Long.toHexString(unknown));
        }
        if ((raw.incompatible() & INCOMPAT_EXTL2) != 0 && bits < 14) {
            throw fail(f, "Unsupported subcluster size: " + (clusterSize / 32), OFF_CLUSTER_BITS,
                    "extended L2 entries need cluster_bits >= 14 (subclusters of at least 512 bytes), found " + bits);
        }
        if (raw.refcountOrder() > MAX_REFCOUNT_ORDER) {
            throw fail(f, "Reference count entry width too large; may not exceed 64 bits", OFF_REFCOUNT_ORDER,
                    "refcount_order must be 0..6, found " + raw.refcountOrder());
        }
        if (raw.reftableClusters() == 0 && !checkMode) {
            throw fail(f, "Image does not contain a reference count table", OFF_REFTABLE_CLUSTERS,
                    "refcount_table_clusters is 0");
        }
        table(f, "Reference count table", OFF_REFTABLE_CLUSTERS, OFF_REFTABLE_OFFSET, raw.reftableOffset(), raw.reftableClusters(),
                clusterSize, MAX_REFCOUNT_TABLE_BYTES, clusterSize);
        if (!checkMode) {
            table(f, "Snapshot table", OFF_NB_SNAPSHOTS, OFF_SNAPSHOTS_OFFSET, raw.snapshotsOffset(), raw.nbSnapshots(),
                    SNAPSHOT_HEAD_BYTES, SNAPSHOT_HEAD_BYTES * MAX_SNAPSHOT_COUNT, clusterSize);
        }
        table(f, "Active L1 table", OFF_L1_SIZE, OFF_L1_OFFSET, raw.l1Offset(), raw.l1Size(), 8, MAX_L1_BYTES, clusterSize);
        long l2Bits = bits - ((raw.incompatible() & INCOMPAT_EXTL2) != 0 ? 4 : 3);
        long needed = l1Entries(raw.size(), (int) (bits + l2Bits));
        if (Long.compareUnsigned(needed, Integer.MAX_VALUE) > 0) {
            throw fail(f, "Image is too big", OFF_SIZE, "virtual size " + Long.toUnsignedString(raw.size())
                    + " needs " + Long.toUnsignedString(needed) + " L1 entries, more than 2^31 - 1");
        }
        if (raw.l1Size() < needed) {
            throw fail(f, "L1 table is too small", OFF_L1_SIZE, "virtual size " + raw.size() + " needs " + needed
                    + " L1 entries, l1_size is " + raw.l1Size());
        }
    }

    /** QEMU's size_to_l1: L1 entries for {@code size} bytes, in unsigned 64-bit arithmetic as C computes it. */
    static long l1Entries(long size, int shift) {
        return (size + (1L << shift) - 1) >>> shift;
    }

    /** validate_compression_type. */
    private static void compression(String f, HeaderFields raw) throws FileOpenException {
        int type = raw.compressionType();
        if (type > 1) {
            throw fail(f, "qcow2: unknown compression type: " + type, OFF_COMPRESSION_TYPE,
                    "qimg knows 0 = zlib and 1 = zstd, found " + type);
        }
        boolean bit = (raw.incompatible() & INCOMPAT_COMPRESSION) != 0;
        if (type == 0 && bit) {
            throw fail(f, "qcow2: Compression type incompatible feature bit must not be set", OFF_INCOMPAT,
                    "compression type zlib with incompatible bit 3 (compression type) set");
        }
        if (type != 0 && !bit) {
            throw fail(f, "qcow2: Compression type incompatible feature bit must be set", OFF_INCOMPAT,
                    "compression type zstd with incompatible bit 3 (compression type) clear");
        }
    }

    /** qcow2_validate_table, with its two failures. */
    private static void table(String f, String name, int sizeField, int field, long offset, long entries, long entryLen,
                              long maxBytes, long clusterSize) throws FileOpenException {
        if (entries > maxBytes / entryLen) {
            throw fail(f, name + " too large", sizeField, name + " of " + entries + " entries of " + entryLen
                    + " bytes exceeds QEMU's limit of " + maxBytes + " bytes");
        }
        long bytes = entries * entryLen;
        if (Long.compareUnsigned(Long.MAX_VALUE - bytes, offset) < 0 || (offset & (clusterSize - 1)) != 0) {
            throw fail(f, name + " offset invalid", field, name + " offset must be a multiple of the cluster size "
                    + clusterSize + " and the table must end below 2^63, found offset 0x" + Long.toHexString(offset)
                    + " for " + bytes + " bytes");
        }
    }

    /**
     * The feature name table as QEMU reads it when it reports unknown features: the last such extension's
     * bytes followed by two empty entries; the walk stops silently at an extension that does not fit.
     */
    private static ByteBuffer featureTable(Bytes ch, long start, long end) throws IOException {
        ByteBuffer table = null;
        long offset = start;
        while (offset < end) {
            ByteBuffer head = ch.read(offset, 8);
            int type = head.getInt(0);
            long len = Integer.toUnsignedLong(head.getInt(4));
            offset += 8;
            if (offset > end || len > end - offset) {
                break;
            }
            if (type == EXT_END) {
                break;
            }
            if (type == EXT_FEATURE_NAME_TABLE) {
                ByteBuffer t = ByteBuffer.allocate((int) len + 2 * FEATURE_ENTRY_BYTES);
                t.put(ch.read(offset, (int) len));
                table = t.clear();
            }
            offset += (len + 7) & ~7L;
        }
        return table;
    }

    /** report_unsupported_feature: named incompatible features first, then the rest as a hex mask. */
    private static String unsupported(ByteBuffer table, long mask) {
        StringBuilder s = new StringBuilder();
        if (table != null) {
            for (int e = 0; e + FEATURE_ENTRY_BYTES <= table.limit() && table.get(e + 2) != 0;
                 e += FEATURE_ENTRY_BYTES) {
                int type = table.get(e) & 0xff;
                int bit = table.get(e + 1) & 0xff;
                if (type == 0 && (mask & (1L << bit)) != 0) {
                    if (s.length() > 0) {
                        s.append(", ");
                    }
                    int n = 0;
                    while (n < FEATURE_NAME_BYTES && table.get(e + 2 + n) != 0) {
                        n++;
                    }
                    byte[] name = new byte[n];
                    table.get(e + 2, name);
                    s.append(new String(name, StandardCharsets.UTF_8));
                    mask &= ~(1L << bit);
                }
            }
        }
        if (mask != 0) {
            if (s.length() > 0) {
                s.append(", ");
            }
            s.append("Unknown incompatible feature: ").append(Long.toHexString(mask));
        }
        return s.toString();
    }

    /** {@code len} bytes from {@code offset}, zeros where the file ends first (QEMU's reads past the end). */
    public static ByteBuffer readZeroPadded(FileChannel ch, Path file, long offset, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        long size = ch.size();
        if (offset < size) {
            ByteBuffer part = b.slice(0, (int) Math.min(len, size - offset));
            Positional.readFully(ch, part, offset, file);
        }
        return b.clear();
    }

    private static FileOpenException fail(String f, String reason, long field, String detail) {
        return new FileOpenException(f, reason, new CorruptImageException(f, field, detail));
    }
}
