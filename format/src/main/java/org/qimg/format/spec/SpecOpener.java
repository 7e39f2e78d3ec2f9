package org.qimg.format.spec;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.FileAccessException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;

/**
 * Opens an image named by block options ({@link BlockSpec}): the file through {@link ImageFormats}, then raw's
 * window or the protocol's name on top. Errors say "Could not open 'NAME': ..." with the name as given, as
 * QEMU's do.
 */
public final class SpecOpener {
    /**
     * The prefix qimg's command line puts before an {@code --image-opts} option string so that it travels where
     * a file name does. QEMU itself refuses such a name ("Unknown protocol"), so no real file is taken for one.
     */
    public static final String IMAGE_OPTS_PREFIX = "image-opts:";

    private SpecOpener() {
    }

    /**
     * True when {@code name} names an image by options ({@code json:}, image-opts) or with a protocol
     * ({@code file:}, or one qimg refuses); qimg's own {@code tar:ARCHIVE::MEMBER} names are file names.
     */
    public static boolean isSpec(String name) {
        return name.startsWith(IMAGE_OPTS_PREFIX) || BlockSpec.isSpecName(name)
                && !isMember(name);
    }

    private static boolean isMember(String name) {
        try {
            return org.qimg.format.container.Containers.memberSpec(Path.of(name)).isPresent();
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** The name as the user wrote it: an image-opts option string without qimg's prefix. */
    public static String given(String name) {
        return name.startsWith(IMAGE_OPTS_PREFIX) ? name.substring(IMAGE_OPTS_PREFIX.length()) : name;
    }

    /** The spec {@code name} stands for, {@code format} (-f) overriding its driver; QEMU's messages. */
    public static BlockSpec parse(String name, String format) throws ImageException {
        try {
            return name.startsWith(IMAGE_OPTS_PREFIX) ? BlockSpec.ofOptions(given(name)) : BlockSpec.ofName(name, format);
        } catch (ImageException e) {
            throw cannotOpen(name, e);
        }
    }

    /** The name QEMU shows for the image {@code name} opens (its file, or raw's options as {@code json:}). */
    public static String displayName(String name, String format) throws ImageException {
        return isSpec(name) ? parse(name, format).displayName() : name;
    }

    /**
     * The file and format an in-place command (check, resize, snapshot) works on: {@code name} itself and
     * {@code format}, or for block options their file and driver (the {@code file} protocol alone as raw).
     * The file must exist and be readable (QEMU's message
     * names the options, then the file).
     */
    public static Located locate(String name, String format) throws ImageException {
        return locate(name, format, true);
    }

    /**
     * As {@link #locate(String, String)}; {@code write} chooses the words for a directory: a read-write open
     * fails to open it, a read-only one says it is not a regular file.
     */
    public static Located locate(String name, String format, boolean write) throws ImageException {
        if (!isSpec(name)) {
            Path p = Path.of(name);
            if (!org.qimg.format.container.Containers.memberSpec(p).isPresent()) {
                require(p, write, name);
            }
            return new Located(p, format, false);
        }
        BlockSpec spec = parse(name, format);
        require(spec.file(), write, name);
        return new Located(spec.file(), "file".equals(spec.driver()) || spec.windowed() ? "raw" : spec.driver(),
                spec.windowed());
    }

    /**
     * The file {@code name} names for a command that works on the file itself: {@code file:NAME} is NAME; a name
     * with another protocol is refused in qemu-img's words ({@code Could not open 'NAME': Unknown protocol
     * 'P'}); a plain name, a {@code json:} or image-opts string and a tar member name are kept as they are.
     */
    public static String fileOf(String name) throws ImageException {
        if (!isSpec(name) || name.startsWith(IMAGE_OPTS_PREFIX) || name.startsWith(OptionStrings.JSON_PREFIX)) {
            return name;
        }
        try {
            return FileNames.localFile(name);
        } catch (ImageException e) {
            throw cannotOpen(name, e);
        }
    }

    /**
     * As {@link #fileOf}, for a command that opens the image read-write (rebase, commit, bitmap, amend): a
     * plain file that is missing, unreadable or a directory fails in qemu-img's words, which name it twice.
     */
    public static String fileForWriting(String name) throws ImageException {
        String file = fileOf(name);
        if (!isSpec(file) && !isMember(file)) {
            require(Path.of(file), true, name);
        }
        return file;
    }

    /**
     * An image file and its format (null: probe); {@code window} when raw's offset or size options select part
     * of the file (in-place changes through a window are not supported: the caller refuses them).
     */
    public record Located(Path file, String format, boolean window) {
    }

    /** Opens the image {@code name} stands for. */
    public static DiskImage open(String name, String format, OpenOptions options) throws IOException {
        return open(name, format, options, true);
    }

    /**
     * Opens the image {@code name} stands for as a file an image refers to (a backing file): the failure in the
     * block layer's words, without qemu-img's {@code Could not open 'NAME': } before them.
     */
    public static DiskImage openReferenced(String name, String format, OpenOptions options) throws IOException {
        return open(name, format, options, false);
    }

    private static DiskImage open(String name, String format, OpenOptions options, boolean named)
            throws IOException {
        BlockSpec spec;
        try {
            spec = name.startsWith(IMAGE_OPTS_PREFIX) ? BlockSpec.ofOptions(given(name))
                    : BlockSpec.ofName(name, format);
        } catch (ImageException e) {
            throw named ? cannotOpen(name, e) : e;
        }
        try {
            if (spec.dataFile() != null) {
                options = options.withDataFile(spec.dataFile());
            }
            if (spec.backingFile() != null) {
                options = options.withBackingFile(spec.backingFile());
            }
            if ("file".equals(spec.driver())) {
                DiskImage raw = ImageFormats.openFile(spec.file(), "raw", options);
                return new WindowImage(raw, "file", 0, raw.virtualSize());
            }
            if (!spec.windowed()) {
                return ImageFormats.openFile(spec.file(), spec.driver(), options);
            }
            return window(spec, ImageFormats.openFile(spec.file(), "raw", options));
        } catch (ImageException e) {
            String own = "Could not open '" + spec.file() + "': Could not open backing file: ";
            if (named && e.getMessage() != null && e.getMessage().startsWith(own)) {
                // the backing file failed: qemu-img names the image as the user gave it, the options
                throw new ImageException("Could not open '" + given(name) + "': Could not open backing file: "
                        + e.getMessage().substring(own.length()), e);
            }
            if (!named || e.getClass() != ImageException.class && !(e instanceof FileAccessException)) {
                throw e;
            }
            throw cannotOpen(name, e);
        }
    }

    private static DiskImage window(BlockSpec spec, DiskImage raw) throws IOException {
        long real = raw.virtualSize();
        long offset = spec.offset();
        try {
            if (Long.compareUnsigned(offset, real) > 0) {
                throw new ImageException("Offset (" + Long.toUnsignedString(offset)
                        + ") cannot be greater than size of the containing file (" + real + ")");
            }
            if (spec.size() >= 0 && spec.size() > real - offset) {
                throw new ImageException("The sum of offset (" + offset + ") and size (" + spec.size()
                        + ") has to be smaller or equal to the  actual size of the containing file (" + real + ")");
            }
            if (spec.size() >= 0 && (spec.size() & 511) != 0) {
                throw new ImageException("Specified size is not multiple of 512");
            }

        } catch (ImageException e) {
            raw.close();
            throw e;
        }
        // without a size, the rest of the file in whole sectors (as QEMU's total_sectors), zeros past its end
        return new WindowImage(raw, "raw", offset, spec.size() >= 0 ? spec.size() : (real - offset + 511) & ~511L);
    }

    private static void require(Path file, boolean write, String name) throws ImageException {
        try {
            if (write) {
                ImageFormats.requireReadableFile(file);
            } else {
                ImageFormats.requireReadable(file);
            }
        } catch (ImageException e) {
            throw cannotOpen(name, e);
        }
    }

    private static ImageException cannotOpen(String name, ImageException e) {
        return new ImageException("Could not open '" + given(name) + "': " + e.getMessage(), e);
    }
}
