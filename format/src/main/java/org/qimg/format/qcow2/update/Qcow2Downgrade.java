package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COMPRESSED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.AmendRequest;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
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
    private final AmendRequest.Log log;

    Qcow2Downgrade(AmendSession s, Path file, AmendProgress progress, AmendRequest.Log log) {
        this.s = s;
        this.file = file;
        this.progress = progress;
        this.log = log;
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
        long entries = h.l1Size();
        for (SnapshotTable.Entry e : snapshots) {
            entries += e.head().l1Size();
        }
        ZeroExpander x = new ZeroExpander(ch, file, h.clusterBits(), h.backingFile() != null, refs, progress,
                entries);
        try {
            l1Tables.add(readL1(h.l1TableOffset(), h.l1Size()));
            x.expand(l1Tables.get(0));
            for (SnapshotTable.Entry e : snapshots) {
                long[] l1 = snapshotL1(e);
                l1Tables.add(l1);
                x.expand(l1);
            }
        } catch (ZeroExpander.Corruption c) {
            // QEMU's qcow2_signal_corruption: the image is marked corrupt, its header written with what the
            // downgrade has set so far
            HeaderRewriter.Fields marked = f;
            marked.incompatible |= HeaderLayout.INCOMPAT_CORRUPT;
            HeaderRewriter.write(ch, file, marked);
            log.line("qcow2: Marking image as corrupt: " + c.getMessage()
                    + "; further corruption events will be suppressed");
            throw new ImageException("Failed to turn zero into data clusters: Input/output error");
        }
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

    /**
     * QEMU's {@code qcow2_validate_table} for a snapshot's L1 table, then the table. QEMU reports the table's
     * error, then fails the expansion with its errno.
     */
    private long[] snapshotL1(SnapshotTable.Entry e) throws IOException {
        long bytes = e.head().l1Size() * Entries.ENTRY_BYTES;
        String errno = null;
        if (e.head().l1Size() > HeaderLayout.MAX_L1_BYTES / Entries.ENTRY_BYTES) {
            log.error("Snapshot L1 table too large");
            errno = "File too large";
        } else if (e.l1Offset() < 0 || Long.MAX_VALUE - bytes < e.l1Offset()
                || (e.l1Offset() & (s.header().clusterSize() - 1)) != 0) {
            log.error("Snapshot L1 table offset invalid");
            errno = "Invalid argument";
        }
        if (errno != null) {
            throw new ImageException("Failed to turn zero into data clusters: " + errno);
        }
        if (e.l1Offset() > s.channel().size() - bytes) {
            throw new CorruptImageException(file.toString(), e.l1Offset(), "snapshot L1 table of " + e.l1Size()
                    + " entries lies past the end of the file");
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
