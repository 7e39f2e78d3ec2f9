package org.qimg.converters.bitmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.qimg.format.DirtyBitmap;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.PersistentBitmaps;

/**
 * {@code qemu-img bitmap FILE BITMAP} with its actions in the order given: the image is opened without its
 * backing chain, each action is applied in turn, and the first failure ends the run with
 * {@code Operation ACTION on bitmap BITMAP failed: REASON}. As in qemu-img, what the actions before a failure
 * did is still stored: the image is closed (and its bitmaps stored) either way.
 */
public final class BitmapEditor {

    /** One action ({@code --add}, ..., {@code --merge SOURCE}). */
    public record Action(Kind kind, String source) {
        public static Action of(Kind kind) {
            return new Action(kind, null);
        }
    }

    /** The actions, named as qemu-img names them in its messages. */
    public enum Kind {
        ADD, REMOVE, CLEAR, ENABLE, DISABLE, MERGE;

        String op() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * What to do.
     *
     * @param granularity  {@code -g} as given (0 when not), before qemu-img narrows it to 32 bits
     * @param sourceFile   {@code -b}: the image {@code --merge} takes its bitmaps from, or null for FILE
     */
    public record Request(Path file, String format, String bitmap, List<Action> actions, long granularity,
                          Path sourceFile, String sourceFormat) {
    }

    private BitmapEditor() {
    }

    /** A node name as QEMU makes one up ({@code #block} with a counter and two random digits). */
    static String nodeName(int counter) {
        return "#block" + counter + String.format("%02d", ThreadLocalRandom.current().nextInt(100));
    }

    /**
     * Runs {@code r}; {@code probed} gets the format's name when it was probed (qemu-img warns about a raw
     * image it opens for writing).
     */
    public static void run(Request r, Consumer<String> probed) throws IOException {
        run(r, probed, w -> { });
    }

    /** As {@link #run(Request, Consumer)}; QEMU's warnings when it opens an image go to {@code warnings}. */
    public static void run(Request r, Consumer<String> probed, Consumer<String> warnings) throws IOException {
        ImageFormat f = format(r.file(), r.format(), probed);
        // the target is opened first (its errors come first) and closed first: closing stores its bitmaps,
        // which may read bits merged from the source
        PersistentBitmaps source = null;
        try (PersistentBitmaps target = f.openBitmaps(r.file(), true, nodeName(1))) {
            target.warnings().forEach(warnings);
            source = r.sourceFile() == null ? null : format(r.sourceFile(), r.sourceFormat(), null)
                    .openBitmaps(r.sourceFile(), false, nodeName(3));
            if (source != null) {
                source.warnings().forEach(warnings);
            }
            PersistentBitmaps from = source != null ? source : target;
            for (Action a : r.actions()) {
                try {
                    apply(target, from, r, a);
                } catch (ImageException e) {
                    throw new ImageException("Operation " + a.kind().op() + " on bitmap " + r.bitmap() + " failed: "
                            + e.getMessage(), e);
                }
            }
        } finally {
            if (source != null) {
                source.close();
            }
        }
    }

    private static void apply(PersistentBitmaps target, PersistentBitmaps from, Request r, Action a)
            throws IOException {
        String name = r.bitmap();
        switch (a.kind()) {
            case ADD -> {
                long g = r.granularity() & 0xffffffffL; // qemu-img passes it on as a uint32_t
                if (r.granularity() != 0 && g == 0) {
                    throw new ImageException("Granularity must be power of 2 and at least 512");
                }
                target.add(name, g, false);
            }
            case REMOVE -> target.remove(name);
            case CLEAR -> target.clear(name);
            case ENABLE -> target.enable(name);
            case DISABLE -> target.disable(name);
            case MERGE -> {
                if (target.find(name) == null) {
                    throw PersistentBitmaps.Bitmaps.notFound(name);
                }
                DirtyBitmap src = from.find(a.source());
                if (src == null) {
                    throw PersistentBitmaps.Bitmaps.notFound(a.source());
                }
                target.merge(name, src);
            }
            default -> throw new IllegalStateException(a.kind().toString());
        }
    }

    private static ImageFormat format(Path file, String format, Consumer<String> probed) throws IOException {
        try {
            ImageFormats.requireReadableFile(file);
        } catch (ImageException e) {
            // qemu-img names the file twice: its open, then the file driver's
            throw new ImageException("Could not open '" + file + "': " + e.getMessage(), e);
        }
        if (format != null) {
            return ImageFormats.byName(format);
        }
        ImageFormat f = ImageFormats.probe(file);
        if (probed != null) {
            probed.accept(f.name());
        }
        return f;
    }
}
