package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.BitmapDirectoryCodec;
import org.qimg.format.qcow2.layout.BitmapDirectoryCodec.Entry;
import org.qimg.format.qcow2.layout.BitmapEntryHead;
import org.qimg.format.qcow2.layout.BitmapRules;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.raw.HostFiles;

/**
 * The on-disk side of {@link Qcow2Bitmaps}: the bitmap directory as it is in the file (with the header's
 * autoclear bits), and the writes QEMU's qcow2-bitmap.c makes to it: a new directory in new clusters with the
 * header switched over ({@code update_ext_header_and_dir}), the freeing of a bitmap's clusters
 * ({@code free_bitmap_clusters}, freed data punched out of the file), and the store on close
 * ({@code qcow2_store_persistent_dirty_bitmaps}, {@code store_bitmap}). Loading, amend's hold/resume and the
 * bitmap operations stay in {@link Qcow2Bitmaps}, which reads and sets the directory fields here.
 */
final class BitmapStore {
    private final FileChannel ch;
    private final Path file;
    private final Qcow2Header h;
    private final int clusterSize;
    private final long size;
    /** The refcounts changes go through; null when the image is open read-only. */
    private final UpdaterRefcounts refs;
    /** The autoclear feature bits the header gets when it is next written. */
    long autoclear;
    /** The directory as on disk now. */
    List<Entry> disk = List.of();
    long dirOffset;
    long dirSize;
    private final List<long[]> freedData = new ArrayList<>();

    /** {@code size}: the virtual size the bitmaps cover (a multiple of 512). */
    BitmapStore(FileChannel ch, Path file, Qcow2Header h, long size, UpdaterRefcounts refs) {
        this.ch = ch;
        this.file = file;
        this.h = h;
        this.clusterSize = h.clusterSize();
        this.size = size;
        this.refs = refs;
        this.autoclear = h.autoclearFeatures();
    }

    /** update_ext_header_and_dir: the directory of {@code list} in new clusters, the header, the old freed. */
    void updateDirectory(List<Entry> list) throws IOException {
        long newOffset = 0;
        long newSize = 0;
        if (!list.isEmpty()) {
            if (list.size() > HeaderLayout.MAX_BITMAPS) {
                throw new ImageException("Failed to update bitmap extension: Invalid argument");
            }
            ByteBuffer d = BitmapDirectoryCodec.encode(list);
            newSize = d.remaining();
            if (newSize > HeaderLayout.MAX_BITMAP_DIRECTORY) {
                throw new ImageException("Failed to update bitmap extension: Invalid argument");
            }
            newOffset = refs.allocateRun(clusters(newSize));
            Positional.writeFully(ch, d, newOffset);
            ch.force(false);
            autoclear |= HeaderLayout.AUTOCLEAR_BITMAPS;
        } else {
            autoclear &= ~HeaderLayout.AUTOCLEAR_BITMAPS;
        }
        HeaderRewrite.read(ch, file, clusterSize, h.version()).write(ch, file, autoclear, list.size(), newSize,
                newOffset);
        if (dirSize > 0) {
            refs.free(dirOffset, clusters((dirOffset & (clusterSize - 1)) + dirSize));
        }
        disk = list;
        dirOffset = newOffset;
        dirSize = newSize;
    }

    /**
     * free_bitmap_clusters: the data clusters (discarded when free), then the table's clusters. As in QEMU, a
     * table that cannot be read, or a cluster whose refcount is already 0, is left alone (at worst a leak
     * that {@code check -r} repairs), not an error.
     */
    void freeClusters(Entry e) throws IOException {
        long[] t;
        try {
            t = StoredBitmap.readTable(ch, file, clusterSize, e.tableOffset(), e.tableSize());
        } catch (CorruptImageException bad) {
            return;
        }
        for (long entry : t) {
            long off = entry & BitmapRules.TABLE_OFFSET_MASK;
            if (off != 0) {
                freeQuietly(off, 1);
                freedData.add(new long[] {off, clusterSize});
            }
        }
        freeQuietly(e.tableOffset(), clusters(8 * e.tableSize()));
        punch();
    }

    private void freeQuietly(long offset, long n) throws IOException {
        for (long i = 0; i < n; i++) {
            long c = offset / clusterSize + i;
            if (refs.covered(c) && refs.get(c) > 0) {
                refs.add(c, -1);
            }
        }
    }

    private long clusters(long bytes) {
        return (bytes + clusterSize - 1) / clusterSize;
    }

    /** qcow2_store_persistent_dirty_bitmaps for the bitmaps {@code mem} as QEMU holds them. */
    void store(List<LoadedBitmap> mem) throws IOException {
        List<Entry> list = new ArrayList<>(disk);
        List<Entry> drop = new ArrayList<>();
        boolean need = false;
        for (LoadedBitmap m : mem) {
            if (m.inconsistent) {
                continue;
            }
            need = true;
            int i = indexOf(list, m.name);
            long flags = m.enabled ? BitmapEntryHead.FLAG_AUTO : 0;
            Entry e = new Entry(0, 0, flags, m.granularityBits, m.name);
            if (i < 0) {
                list.add(e);
            } else {
                drop.add(list.get(i));
                list.set(i, e);
            }
        }
        if (!need) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            Entry e = list.get(i);
            LoadedBitmap m = named(mem, e.name());
            if (m == null || m.inconsistent) {
                continue;
            }
            list.set(i, storeBitmap(m, e));
            if (m.stored != null) {
                m.stored.release();
            }
        }
        ch.force(false);
        updateDirectory(list);
        for (Entry e : drop) {
            freeClusters(e);
        }
        ch.force(false);
    }

    /** store_bitmap: every cluster of bits with a bit set in a new cluster, then the table. */
    private Entry storeBitmap(LoadedBitmap m, Entry e) throws IOException {
        long entries = BitmapRules.tableEntriesNeeded(size, m.granularityBits, clusterSize);
        if (entries > BitmapRules.MAX_TABLE_ENTRIES || entries * clusterSize > BitmapRules.MAX_PHYS_BYTES) {
            throw new ImageException("Bitmap '" + m.name + "' is too big");
        }
        long[] table = new long[(int) entries];
        byte[] buf = new byte[clusterSize];
        for (int k = 0; k < table.length; k++) {
            if (m.read((long) k * clusterSize, buf, 0, clusterSize) && nonZero(buf)) {
                long off = refs.allocateRun(1);
                Positional.writeFully(ch, ByteBuffer.wrap(buf), off);
                table[k] = off;
            }
        }
        long at = refs.allocateRun(clusters(8 * entries));
        ByteBuffer t = ByteBuffer.allocate((int) (8 * entries));
        for (long v : table) {
            t.putLong(v);
        }
        t.flip();
        Positional.writeFully(ch, t, at);
        return e.withTable(at, entries);
    }

    private static boolean nonZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }

    private static LoadedBitmap named(List<LoadedBitmap> mem, String name) {
        for (LoadedBitmap m : mem) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        return null;
    }

    private static int indexOf(List<Entry> list, String name) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * QEMU's discard of freed bitmap data clusters, done as soon as they are freed (before anything can
     * reuse them): those whose refcount dropped to 0 are punched out of the file.
     */
    private void punch() throws IOException {
        ch.force(false);
        List<long[]> out = new ArrayList<>();
        for (long[] r : freedData) {
            if (refs.get(r[0] / clusterSize) == 0) {
                out.add(r);
            }
        }
        if (!out.isEmpty()) {
            HostFiles.punchHoles(file, out.toArray(new long[0][]));
        }
        freedData.clear();
    }
}
