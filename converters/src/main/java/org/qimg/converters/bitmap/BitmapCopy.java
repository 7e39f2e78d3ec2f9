package org.qimg.converters.bitmap;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qimg.format.DirtyBitmap;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.PersistentBitmaps;

/**
 * {@code convert --bitmaps}: the persistent bitmaps of the (single) source are checked before anything is
 * written ({@code convert_check_bitmaps}) and copied into the finished target ({@code convert_copy_bitmaps}):
 * each one added with the source's granularity, disabled when the source's is, then the source's bits
 * merged in. Inconsistent (in-use) bitmaps fail the convert, or are skipped with a warning under
 * {@code --skip-broken-bitmaps}. Messages are qemu-img's.
 */
public final class BitmapCopy implements Closeable {
    private final PersistentBitmaps source;
    private final boolean skipBroken;

    private BitmapCopy(PersistentBitmaps source, boolean skipBroken) {
        this.source = source;
        this.skipBroken = skipBroken;
    }

    /** Opens and checks the bitmaps of {@code image}, the convert's only source. */
    public static BitmapCopy prepare(DiskImage image, boolean skipBroken) throws IOException {
        if (image.path() == null) {
            throw new ImageException("Source lacks bitmap support");
        }
        PersistentBitmaps s = ImageFormats.byName(image.formatName()).openBitmaps(image.path(), false,
                BitmapEditor.nodeName(1));
        try {
            if (!s.supportsPersistent()) {
                throw new ImageException("Source lacks bitmap support");
            }
            for (DirtyBitmap b : s.bitmaps()) {
                if (!skipBroken && b.inconsistent()) {
                    throw new ImageException("Cannot copy inconsistent bitmap '" + b.name() + "'\n"
                            + "Try --skip-broken-bitmaps, or use 'qemu-img bitmap --remove' to delete it");
                }
            }
            return new BitmapCopy(s, skipBroken);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Copies the bitmaps into {@code target} (a finished image of {@code format}); warnings go to {@code warn}. */
    public void copyInto(Path target, String format, Consumer<String> warn) throws IOException {
        try (PersistentBitmaps t = ImageFormats.byName(format).openBitmaps(target, true,
                BitmapEditor.nodeName(5))) {
            if (!t.supportsPersistent()) {
                throw new ImageException("Format driver '" + format + "' does not support bitmaps");
            }
            for (DirtyBitmap b : source.bitmaps()) {
                if (skipBroken && b.inconsistent()) {
                    warn.accept("Skipping inconsistent bitmap '" + b.name() + "'");
                    continue;
                }
                try {
                    t.add(b.name(), b.granularity(), !b.enabled());
                } catch (ImageException e) {
                    throw new ImageException("Failed to create bitmap " + b.name() + ": " + e.getMessage(), e);
                }
                try {
                    t.merge(b.name(), b);
                } catch (ImageException e) {
                    t.remove(b.name());
                    throw new ImageException("Failed to populate bitmap " + b.name() + ": " + e.getMessage(), e);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        source.close();
    }
}
