package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.Entries.COPIED;
import static org.qimg.format.qcow2.layout.Entries.OFFSET_MASK;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageLimitException;
import org.qimg.format.InvalidSnapshotException;
import org.qimg.format.SnapshotNotFoundException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.SnapshotEntryHead;
import org.qimg.format.raw.HostFiles;

/**
 * Internal snapshots of a qcow2 image, created, applied and deleted in place in QEMU's order
 * ({@code qcow2_snapshot_create/goto/delete}), so that the result matches qemu-img's: the same clusters
 * allocated, refcounts and COPIED flags recomputed by the same walk over the tables
 * ({@link SnapshotWalk}), a new snapshot table written before the old one is freed, and clusters whose
 * refcount drops to 0 punched out of the file as QEMU's snapshot discards do.
 *
 * <p>Refused: extended L2 entries, an external data file, encryption, the dirty or corrupt bit, unknown
 * incompatible features, and applying a snapshot taken at another virtual size.
 */
public final class Qcow2Snapshots implements Closeable {
    static final LockPerms PERMS = new LockPerms(LockPerms.CONSISTENT_READ | LockPerms.WRITE, LockPerms.ALL);

    private final ImageLock lock;
    private final RandomAccessFile raf;
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final int clusterBits;
    private final UpdaterRefcounts refs;
    private final SnapshotWalk walk;
    private long[] l1;
    private final List<SnapshotTable.Entry> entries;
    private long tableOffset;
    private long tableLength;

    private Qcow2Snapshots(ImageLock lock, RandomAccessFile raf, Path file) throws IOException {
        this.lock = lock;
        this.raf = raf;
        this.file = file;
        this.ch = NamedChannel.wrap(raf.getChannel(), file);
        this.h = Qcow2Header.read(ch, file);
        refuse();
        this.clusterBits = h.clusterBits();
        this.refs = new UpdaterRefcounts(ch, file, h);
        this.walk = new SnapshotWalk(ch, file, h.clusterSize(), refs);
        this.l1 = readL1(h.l1TableOffset(), h.l1Size());
        SnapshotTable.Table t = SnapshotTable.read(ch, file, h.snapshotsOffset(), h.nbSnapshots());
        this.entries = new ArrayList<>(t.entries());
        this.tableOffset = h.snapshotsOffset();
        this.tableLength = t.length();
    }

    /** Opens {@code path} for snapshot changes (QEMU's write locks on the file). */
    public static Qcow2Snapshots open(Path path) throws IOException {
        ImageLock lock = ImageLock.acquire(path, PERMS.qcow2File(false));
        RandomAccessFile raf = null;
        try {
            raf = new RandomAccessFile(path.toFile(), "rw");
            return new Qcow2Snapshots(lock, raf, path);
        } catch (IOException | RuntimeException e) {
            if (raf != null) {
                raf.close();
            }
            lock.close();
            throw e;
        }
    }

    private void refuse() throws UnsupportedFeatureException {
        String f = file.toString();
        if (h.hasExtendedL2()) {
            throw new UnsupportedFeatureException(f + ": qimg does not change snapshots of images with extended"
                    + " L2 entries");
        }
        if (h.hasExternalDataFile()) {
            throw new UnsupportedFeatureException("Operation not supported");
        }
        if (h.cryptMethod() != 0) {
            throw new UnsupportedFeatureException(f + ": image is encrypted");
        }
        if (h.isCorrupt() || h.isDirty()) {
            throw new UnsupportedFeatureException(f + ": image is marked " + (h.isCorrupt() ? "corrupt" : "dirty")
                    + "; run qemu-img check -r all first");
        }
        if ((h.incompatibleFeatures() & ~HeaderLayout.INCOMPAT_KNOWN) != 0) {
            throw new UnsupportedFeatureException(f + ": image has unknown incompatible features");
        }
    }

    private long[] readL1(long offset, int size) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(size * Entries.ENTRY_BYTES);
        Positional.readFully(ch, b, offset, file);
        b.flip();
        long[] t = new long[size];
        for (int i = 0; i < size; i++) {
            t[i] = b.getLong();
        }
        return t;
    }

    private void writeL1(long[] table, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(table.length * Entries.ENTRY_BYTES);
        for (long v : table) {
            b.putLong(v);
        }
        b.flip();
        Positional.writeFully(ch, b, offset);
        ch.force(false);
    }

    private long clusters(long bytes) {
        return (bytes + h.clusterSize() - 1) >>> clusterBits;
    }

    /** QEMU's snapshot lookup: the first entry whose id is {@code key}, else the first whose name is. */
    private int find(String key) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).id().equals(key)) {
                return i;
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).name().equals(key)) {
                return i;
            }
        }
        return -1;
    }

    /** QEMU's {@code qcow2_validate_table} for a snapshot's L1 table. */
    private void validate(SnapshotTable.Entry sn) throws InvalidSnapshotException {
        long bytes = (long) sn.l1Size() * Entries.ENTRY_BYTES;
        if (bytes > HeaderLayout.MAX_L1_BYTES) {
            throw new InvalidSnapshotException("Snapshot L1 table too large");
        }
        if (Long.MAX_VALUE - bytes < sn.l1Offset() || (sn.l1Offset() & (h.clusterSize() - 1)) != 0) {
            throw new InvalidSnapshotException("Snapshot L1 table offset invalid");
        }
    }

    /** {@code snapshot -c}: a snapshot of the current state named {@code name}. */
    public void create(String name, long dateSec, long dateNsec) throws IOException {
        if (entries.size() >= HeaderLayout.MAX_SNAPSHOTS) {
            throw new ImageLimitException("File too large"); // QEMU: -EFBIG at QCOW_MAX_SNAPSHOTS
        }
        long max = 0;
        for (SnapshotTable.Entry e : entries) {
            max = Math.max(max, leadingNumber(e.id()));
        }
        String id = Long.toUnsignedString(max + 1);
        walk.precheck(l1);
        long bytes = (long) l1.length * Entries.ENTRY_BYTES;
        long at = bytes == 0 ? refs.emptyAllocation() : refs.allocateRun(clusters(bytes));
        if (bytes > 0) {
            writeL1(l1, at);
        }
        long[] active = walk.update(l1, 1);
        if (active != null) {
            l1 = active;
            writeL1(l1, h.l1TableOffset());
        }
        ByteBuffer extra = ByteBuffer.allocate(SnapshotEntryHead.KNOWN_EXTRA);
        extra.putLong(SnapshotEntryHead.EXTRA_DISK_SIZE, h.virtualSize());
        SnapshotEntryHead head = new SnapshotEntryHead(at, l1.length, 0, 0, dateSec, dateNsec, 0, 0,
                SnapshotEntryHead.KNOWN_EXTRA);
        entries.add(new SnapshotTable.Entry(head, extra.array(), id, truncated(name)));
        writeTable();
        finish();
    }

    /** QEMU keeps at most 255 bytes of a name given on the command line (its 256-byte buffer). */
    private static String truncated(String name) {
        byte[] b = SnapshotTable.utf8(name);
        if (b.length <= 255) {
            return name;
        }
        return new String(b, 0, 255, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** {@code strtoul(id, NULL, 10)}: the leading decimal digits, 0 when there are none. */
    private static long leadingNumber(String id) {
        long v = 0;
        for (int i = 0; i < id.length() && Character.isDigit(id.charAt(i)); i++) {
            v = v * 10 + (id.charAt(i) - '0');
            if (v < 0) {
                return -1;
            }
        }
        return v;
    }

    /** {@code snapshot -d}: qemu-img looks the snapshot up by name only ({@code bdrv_snapshot_find}). */
    public void delete(String key) throws IOException {
        int i = -1;
        for (int k = 0; k < entries.size() && i < 0; k++) {
            if (entries.get(k).name().equals(key)) {
                i = k;
            }
        }
        if (i < 0) {
            throw new SnapshotNotFoundException("snapshot not found");
        }
        validate(entries.get(i));
        SnapshotTable.Entry sn = entries.remove(i);
        writeTable();
        long[] snL1 = readL1(sn.l1Offset(), sn.l1Size());
        walk.update(snL1, -1);
        long bytes = (long) sn.l1Size() * Entries.ENTRY_BYTES;
        if (bytes > 0) {
            walk.free(sn.l1Offset(), clusters(bytes));
        }
        long[] active = walk.update(l1, 0);
        if (active != null) {
            l1 = active;
            writeL1(l1, h.l1TableOffset());
        }
        finish();
    }

    /**
     * The virtual size recorded with the snapshot {@code key} (id, then name), the current size when the
     * entry does not record one, or -1 when there is no such snapshot.
     */
    public long diskSize(String key) {
        int i = find(key);
        if (i < 0) {
            return -1;
        }
        SnapshotTable.Entry sn = entries.get(i);
        return sn.extra().length >= SnapshotEntryHead.EXTRA_ICOUNT
                ? ByteBuffer.wrap(sn.extra()).getLong(SnapshotEntryHead.EXTRA_DISK_SIZE) : h.virtualSize();
    }

    /** The image's virtual size. */
    public long virtualSize() {
        return h.virtualSize();
    }

    /** {@code snapshot -a}: the image's content becomes the snapshot's. */
    public void apply(String key) throws IOException {
        int i = find(key);
        if (i < 0) {
            throw new SnapshotNotFoundException("Failed to load snapshot: No such file or directory");
        }
        SnapshotTable.Entry sn = entries.get(i);
        validate(sn);
        long diskSize = sn.extra().length >= SnapshotEntryHead.EXTRA_ICOUNT
                ? ByteBuffer.wrap(sn.extra()).getLong(SnapshotEntryHead.EXTRA_DISK_SIZE) : h.virtualSize();
        if (diskSize != h.virtualSize() || sn.l1Size() > l1.length) {
            throw new UnsupportedFeatureException(file + ": the snapshot was taken at another virtual size ("
                    + diskSize + " bytes); qimg does not resize while applying it");
        }
        long[] snL1 = readL1(sn.l1Offset(), sn.l1Size());
        long[] newActive = java.util.Arrays.copyOf(snL1, l1.length);
        long[] snUpdated = walk.update(snL1, 1);
        if (snUpdated != null) {
            writeL1(snUpdated, sn.l1Offset());
        }
        writeL1(newActive, h.l1TableOffset());
        walk.update(l1, -1);
        l1 = newActive;
        long[] active = walk.update(l1, 0);
        if (active != null) {
            l1 = active;
            writeL1(l1, h.l1TableOffset());
        }
        finish();
    }

    /**
     * Writes the snapshot table anew as QEMU writes it (every entry with at least the 24 bytes of extra data
     * QEMU knows), as {@code qcow2_upgrade} does for snapshots taken by a v2 writer.
     */
    public void rewriteTable() throws IOException {
        writeTable();
        finish();
    }

    /** QEMU's {@code qcow2_write_snapshots}: the new table in new clusters, the header, then the old freed. */
    private void writeTable() throws IOException {
        ByteBuffer t = SnapshotTable.encode(entries, h.virtualSize());
        long length = t.remaining();
        if (length > SnapshotEntryHead.MAX_TABLE_BYTES) {
            throw new ImageLimitException("Snapshot table too large");
        }
        long at = length == 0 ? refs.emptyAllocation() : refs.allocateRun(clusters(length));
        ch.force(false);
        if (length > 0) {
            Positional.writeFully(ch, t, at);
            ch.force(false);
        }
        ByteBuffer hdr = ByteBuffer.allocate(12).putInt(entries.size()).putLong(at);
        hdr.flip();
        Positional.writeFully(ch, hdr, HeaderLayout.OFF_NB_SNAPSHOTS);
        ch.force(false);
        if (tableLength > 0 && tableOffset != 0) {
            walk.free(tableOffset, clusters((tableOffset & (h.clusterSize() - 1)) + tableLength));
        }
        tableOffset = at;
        tableLength = length;
    }

    /** Flushes, then punches the clusters freed on the way (QEMU's snapshot discards). */
    private void finish() throws IOException {
        ch.force(false);
        HostFiles.punchHoles(file, walk.freedRanges());
    }

    @Override
    public void close() throws IOException {
        try {
            raf.close();
        } finally {
            lock.close();
        }
    }

    static boolean copied(long entry) {
        return (entry & COPIED) != 0 && (entry & OFFSET_MASK) != 0;
    }
}
