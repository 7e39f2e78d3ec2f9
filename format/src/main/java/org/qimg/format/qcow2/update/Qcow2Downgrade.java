package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.SnapshotEntryHead;

/**
 * QEMU's {@code qcow2_downgrade} to v2, with its refusals and their messages: refcounts other than 16 bits,
 * an external data file, snapshots of another virtual size or with a VM state above 4 GiB, incompatible
 * features other than the compression type; compatible and autoclear features are dropped; zero clusters are
 * expanded ({@link ZeroExpander}); a zstd image keeps its compression type only while it has no compressed
 * cluster (qimg also looks at the snapshots' tables, where QEMU looks at the active one only); then the
 * header is written as v2.
 */
final class Qcow2Downgrade {
    private final AmendSession s;
    private final Path file;
    private final AmendProgress progress;

    Qcow2Downgrade(AmendSession s, Path file, AmendProgress progress) {
        this.s = s;
        this.file = file;
        this.progress = progress;
    }

    void run() throws IOException {
        Qcow2Header h = s.header();
        if (h.refcountOrder() != 4) {
            throw new UnsupportedFeatureException("compat=0.10 requires refcount_bits=16");
        }
        if (h.hasExternalDataFile()) {
            throw new UnsupportedFeatureException("Cannot downgrade an image with a data file");
        }
        List<SnapshotTable.Entry> snapshots = s.snapshots();
        for (SnapshotTable.Entry e : snapshots) {
            ByteBuffer x = ByteBuffer.wrap(e.extra());
            long vmState = e.extra().length >= SnapshotEntryHead.EXTRA_DISK_SIZE
                    ? x.getLong(SnapshotEntryHead.EXTRA_VM_STATE) : e.head().vmStateSize();
            long diskSize = e.extra().length >= SnapshotEntryHead.EXTRA_ICOUNT
                    ? x.getLong(SnapshotEntryHead.EXTRA_DISK_SIZE) : h.virtualSize();
            if (Long.compareUnsigned(vmState, 0xffffffffL) > 0 || diskSize != h.virtualSize()) {
                throw new UnsupportedFeatureException("Internal snapshots prevent downgrade of image");
            }
        }
        long incompat = h.incompatibleFeatures() & ~HeaderLayout.INCOMPAT_COMPRESSION;
        if (incompat != 0) {
            throw new UnsupportedFeatureException("Cannot downgrade an image with incompatible features 0x"
                    + Long.toHexString(incompat) + " set");
        }
        HeaderRewriter.Fields f = s.fields();
        f.compatible = 0;
        f.autoclear = 0;
        FileChannel ch = s.channel();
        UpdaterRefcounts refs = new UpdaterRefcounts(ch, file, h);
        List<long[]> l1Tables = new ArrayList<>();
        l1Tables.add(readL1(h.l1TableOffset(), h.l1Size()));
        for (SnapshotTable.Entry e : snapshots) {
            l1Tables.add(snapshotL1(e));
        }
        new ZeroExpander(ch, file, h.clusterBits(), h.backingFile() != null, refs, progress).expand(l1Tables);
        if (h.compressionType() != CompressionType.ZLIB) {
            if (hasCompressed(l1Tables, h.clusterSize())) {
                throw new UnsupportedFeatureException("Cannot downgrade an image with zstd compression type and"
                        + " existing compressed clusters");
            }
            f.incompatible &= ~HeaderLayout.INCOMPAT_COMPRESSION;
            f.compressionType = CompressionType.ZLIB.code();
        }
        f.version = 2;
        HeaderRewriter.write(ch, file, f);
    }

    /** QEMU's {@code qcow2_validate_table} for a snapshot's L1 table, then the table. */
    private long[] snapshotL1(SnapshotTable.Entry e) throws IOException {
        long bytes = (long) e.l1Size() * Entries.ENTRY_BYTES;
        if (e.head().l1Size() > HeaderLayout.MAX_L1_BYTES / Entries.ENTRY_BYTES) {
            throw new ImageLimitException("Snapshot L1 table too large");
        }
        if (e.l1Offset() < 0 || (e.l1Offset() & (s.header().clusterSize() - 1)) != 0
                || e.l1Offset() > s.channel().size() - bytes) {
            throw new ImageException("Snapshot L1 table offset invalid");
        }
        return readL1(e.l1Offset(), e.l1Size());
    }

    private long[] readL1(long offset, int entries) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(entries * Entries.ENTRY_BYTES);
        Positional.readFully(s.channel(), b, offset, file);
        b.flip();
        long[] t = new long[entries];
        for (int i = 0; i < entries; i++) {
            t[i] = b.getLong();
        }
        return t;
    }

    private boolean hasCompressed(List<long[]> l1Tables, int clusterSize) throws IOException {
        ByteBuffer t = ByteBuffer.allocate(clusterSize);
        for (long[] l1 : l1Tables) {
            for (long e : l1) {
                long l2 = e & OFFSET_MASK;
                if (l2 == 0) {
                    continue;
                }
                if (l2 > s.channel().size() - clusterSize) {
                    throw new CorruptImageException(file.toString(), l2, "L2 table lies past the end of the file");
                }
                Positional.readFully(s.channel(), t.clear(), l2, file);
                for (int j = 0; j < clusterSize / Entries.ENTRY_BYTES; j++) {
                    if ((t.getLong(j * Entries.ENTRY_BYTES) & COMPRESSED) != 0) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
