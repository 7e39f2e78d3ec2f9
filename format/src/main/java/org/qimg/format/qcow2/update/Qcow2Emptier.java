package org.qimg.format.qcow2.update;

import static org.qimg.format.qcow2.layout.HeaderLayout.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.layout.RefcountCodec;

/**
 * Makes a qcow2 image read entirely from its backing file, as QEMU's {@code qcow2_make_empty} does after
 * {@code qemu-img commit}:
 *
 * <ul>
 *   <li>a v3 image without snapshots, bitmaps, LUKS header or external data file whose L1 table and three
 *   clusters fit in one refcount block is rebuilt from scratch ({@code make_completely_empty}): with the dirty
 *   bit set while the refcounts are wrong, the L1 table and clusters 1.. are zeroed, the header points at a
 *   one-cluster refcount table at cluster 1, its first refcount block at cluster 2 and the empty L1 table at
 *   cluster 3, the refcount block counts those clusters once, the dirty bit is cleared and the file is cut
 *   after the L1 table;</li>
 *   <li>any other image has every guest cluster discarded (its L2 entry set to 0, its clusters freed and
 *   punched out of the file), as QEMU's fallback does; with an external data file
 *   ({@link Qcow2DataFileDiscard}) the data clusters, which have no refcounts, are punched out of the data
 *   file.</li>
 * </ul>
 *
 * <p>Persistent bitmaps are left as they are: QEMU also marks the discarded ranges dirty in its enabled
 * bitmaps; the guest content does not change (the overlay then reads what was committed below it), so
 * qimg does not.</p>
 */
public final class Qcow2Emptier {
    private Qcow2Emptier() {
    }

    /** Empties the image {@code path}. */
    public static void makeEmpty(Path path, boolean forceShare) throws IOException {
        try (ImageLock lock = ImageLock.acquire(path, Qcow2Resizer.PERMS.qcow2File(forceShare));
             RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            FileChannel ch = NamedChannel.wrap(raf.getChannel(), path);
            Qcow2Header h = Qcow2Header.read(ch, path);
            String f = path.toString();
            Qcow2Updater.requireClean(h, f);
            if (h.cryptMethod() != 0) {
                throw new UnsupportedFeatureException(f + ": image is encrypted");
            }
            int cs = h.clusterSize();
            long l1Clusters = ((long) h.l1Size() * Entries.ENTRY_BYTES + cs - 1) / cs;
            long blockEntries = (long) cs * 8 >>> h.refcountOrder();
            boolean bitmaps = h.extensions().bitmaps() != null;
            if (h.version() >= 3 && h.nbSnapshots() == 0 && !bitmaps && 3 + l1Clusters <= blockEntries
                    && !h.hasExternalDataFile()) {
                completely(ch, raf, h, (int) l1Clusters);
            } else if (h.hasExternalDataFile()) {
                Qcow2DataFileDiscard.discardAll(ch, path, h);
            } else {
                Qcow2Resizer.discardAll(ch, path, h);
            }
        }
    }

    private static void completely(FileChannel ch, RandomAccessFile raf, Qcow2Header h, int l1Clusters)
            throws IOException {
        int cs = h.clusterSize();
        long incompat = h.incompatibleFeatures();
        writeLong(ch, OFF_INCOMPAT, incompat | INCOMPAT_DIRTY); // the refcounts will be wrong for a while
        ch.force(false);
        zero(ch, h.l1TableOffset(), (long) l1Clusters * cs);
        zero(ch, cs, (2L + l1Clusters) * cs);
        ByteBuffer fields = ByteBuffer.allocate(20).putLong(3L * cs).putLong(cs).putInt(1);
        fields.flip();
        Positional.writeFully(ch, fields, OFF_L1_OFFSET);
        ch.force(false);
        writeLong(ch, cs, 2L * cs); // reftable[0]: the refcount block at cluster 2
        byte[] block = new byte[cs];
        for (int i = 0; i < 3 + l1Clusters; i++) {
            RefcountCodec.set(block, i, h.refcountOrder(), 1);
        }
        Positional.writeFully(ch, ByteBuffer.wrap(block), 2L * cs);
        ch.force(false);
        writeLong(ch, OFF_INCOMPAT, incompat & ~INCOMPAT_DIRTY);
        ch.force(false);
        raf.setLength((3L + l1Clusters) * cs);
    }

    private static void writeLong(FileChannel ch, long at, long value) throws IOException {
        Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, value), at);
    }

    private static void zero(FileChannel ch, long at, long length) throws IOException {
        ByteBuffer z = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(z.capacity(), length - done);
            Positional.writeFully(ch, z.clear().limit(n), at + done);
            done += n;
        }
    }
}
