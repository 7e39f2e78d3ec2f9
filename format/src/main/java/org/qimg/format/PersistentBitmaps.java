package org.qimg.format;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * The persistent dirty bitmaps of one image, opened as QEMU opens a node: read only (a source to merge or
 * copy bitmaps from), or for changes ({@code qemu-img bitmap}). The changes are QEMU's QMP commands
 * ({@code block-dirty-bitmap-add}/{@code remove}/{@code clear}/{@code enable}/{@code disable}/{@code merge})
 * with their rules and messages; as in QEMU, a removal reaches the file at once and everything else when the
 * bitmaps are stored, by {@link #close()} (QEMU stores them when the image is closed, even after a failed
 * command). Failures are {@link ImageException}s whose message is QEMU's (without qemu-img's "Operation ...
 * failed: " in front).
 */
public interface PersistentBitmaps extends Closeable {
    /** The bitmaps, in the order QEMU iterates them ({@code FOR_EACH_DIRTY_BITMAP}: the newest first). */
    List<DirtyBitmap> bitmaps();

    /** The bitmap named {@code name}, or null. */
    default DirtyBitmap find(String name) {
        for (DirtyBitmap b : bitmaps()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }

    /**
     * What QEMU warns about when it opens the image (e.g. bitmaps a program without bitmap support left
     * behind): each a message, possibly of several lines, as printed after "warning: ".
     */
    default List<String> warnings() {
        return List.of();
    }

    /** Whether the format can store persistent bitmaps in this image (qcow2 version 3). */
    boolean supportsPersistent();

    /**
     * {@code block-dirty-bitmap-add} of a persistent bitmap: {@code granularity} bytes per bit (0: QEMU's
     * default, the cluster size within 4 KiB .. 64 KiB), {@code disabled} to create it not recording.
     */
    void add(String name, long granularity, boolean disabled) throws IOException;

    void remove(String name) throws IOException;

    void clear(String name) throws IOException;

    void enable(String name) throws IOException;

    void disable(String name) throws IOException;

    /** {@code block-dirty-bitmap-merge}: the bits of {@code source} (of this image or another) into {@code target}. */
    void merge(String target, DirtyBitmap source) throws IOException;

    /** Stores what changed (a no-op for a read-only open) and releases the image. */
    @Override
    void close() throws IOException;

    /**
     * The bitmaps of an image whose format keeps none: empty, and adding one fails as QEMU fails for such
     * a node ({@code Can't store persistent bitmaps to NODE: Operation not supported}).
     */
    static PersistentBitmaps none(String nodeName) {
        return new PersistentBitmaps() {
            @Override
            public List<DirtyBitmap> bitmaps() {
                return List.of();
            }

            @Override
            public boolean supportsPersistent() {
                return false;
            }

            @Override
            public void add(String name, long granularity, boolean disabled) throws IOException {
                Bitmaps.checkNewName(name, granularity);
                throw new UnsupportedFeatureException("Can't store persistent bitmaps to " + nodeName
                        + ": Operation not supported");
            }

            @Override
            public void remove(String name) throws IOException {
                throw Bitmaps.notFound(name);
            }

            @Override
            public void clear(String name) throws IOException {
                throw Bitmaps.notFound(name);
            }

            @Override
            public void enable(String name) throws IOException {
                throw Bitmaps.notFound(name);
            }

            @Override
            public void disable(String name) throws IOException {
                throw Bitmaps.notFound(name);
            }

            @Override
            public void merge(String target, DirtyBitmap source) throws IOException {
                throw Bitmaps.notFound(target);
            }

            @Override
            public void close() {
            }
        };
    }

    /** QEMU's messages shared by every format. */
    final class Bitmaps {
        private Bitmaps() {
        }

        /** QMP's checks on a new bitmap before the format is asked: a name, a valid granularity. */
        public static void checkNewName(String name, long granularity) throws ImageException {
            if (name.isEmpty()) {
                throw new ImageException("Bitmap name cannot be empty");
            }
            if (granularity != 0 && (granularity < 512 || Long.bitCount(granularity) != 1)) {
                throw new ImageException("Granularity must be power of 2 and at least 512");
            }
        }

        public static ImageException notFound(String name) {
            return new ImageException("Dirty bitmap '" + name + "' not found");
        }

        /** bdrv_dirty_bitmap_check's refusal of an inconsistent bitmap, with its hint line. */
        public static ImageException inconsistent(String name) {
            return new ImageException("Bitmap '" + name + "' is inconsistent and cannot be used\n"
                    + "Try block-dirty-bitmap-remove to delete this bitmap from disk");
        }
    }
}
