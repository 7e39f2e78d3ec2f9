package org.qimg.format.qcow2.read;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.FileAccessException;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLimitException;
import org.qimg.format.ImageLockException;
import org.qimg.format.OpenOptions;
import org.qimg.format.UnsupportedFormatException;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.spec.FileNames;

/**
 * The files a qcow2 image needs besides its own, opened as QEMU opens them: the external data file (only a
 * regular file or a block device; a FIFO would block the open) and the backing chain (depth and loops
 * bounded, each failure worded as qemu-img words it and naming the image that asked for the file).
 */
final class Qcow2Files {
    private Qcow2Files() {
    }

    /**
     * Opens the external data file {@code data} of {@code image}. Only a regular file or a block device is
     * opened: opening a FIFO would block until some writer appears, and a socket or character device is
     * no disk.
     */
    static FileChannel openDataFile(Path image, Path data) throws IOException {
        String kind = ImageFormats.fileKind(data);
        if (kind != null && !kind.equals("regular file") && !kind.equals("block device")) {
            throw new FileOpenException(image.toString(), "its external data file '" + data + "' is a " + kind
                    + ", not a regular file or block device");
        }
        return openChannel(data, "external data file");
    }

    static FileChannel openChannel(Path p, String what) throws IOException {
        try {
            return NamedChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not open " + what + " '" + p + "': No such file or directory", e);
        }
    }

    /**
     * A file name from a header, relative to the directory of {@code image} unless absolute or a name with a
     * protocol ({@code file:NAME} is relative to the working directory, as in QEMU).
     */
    static Path resolveBeside(Path image, String name) throws ImageException {
        Path n;
        try {
            n = Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ImageException(image + ": file name '" + name.replace("\0", "\\0") + "' in the header is not a "
                    + "valid path: " + e.getReason());
        }
        Path dir = image.getParent();
        return n.isAbsolute() || dir == null || FileNames.hasProtocol(name) ? n : dir.resolve(n);
    }

    /** True when a backing file name is a {@code json:} object of block options rather than a file name. */
    static boolean isJsonName(String name) {
        return name.startsWith(org.qimg.format.spec.OptionStrings.JSON_PREFIX);
    }

    static DiskImage openBacking(Path path, Qcow2Header h, OpenOptions options) throws IOException {
        String f = path.toString();
        if (options.chain().size() + 1 > OpenOptions.MAX_CHAIN_DEPTH) {
            throw new ImageLimitException(f + ": backing chain is deeper than " + OpenOptions.MAX_CHAIN_DEPTH
                    + " images (backing file '" + h.backingFile() + "')");
        }
        String name = options.backingFile() != null ? options.backingFile().toString() : h.backingFile();
        if (options.backingFile() != null || isJsonName(name) || FileNames.hasProtocol(name)) {
            // options (backing.file.filename given on the command line, or a json: name) or a protocol, not a
            // file name beside the image: their file names are the user's (relative to the working directory)
            try {
                return ImageFormats.openReferenced(Path.of(name), h.extensions().backingFormat(),
                        options.below(path.toRealPath()));
            } catch (java.nio.file.InvalidPathException e) {
                throw new ImageException(f + ": could not open backing file: invalid name", e);
            } catch (FileOpenException | UnsupportedFormatException e) {
                throw cannotOpen(f, e);
            } catch (BackingOpenException e) {
                throw e.above(f);
            } catch (ImageException e) {
                if (e.getClass() != ImageException.class && !(e instanceof FileAccessException)) {
                    throw e;
                }
                throw backingMissing(f, e);
            }
        }
        Path bpath = resolveBeside(path, h.backingFile());
        if (!Files.exists(bpath)) {
            throw backingMissing(f, new FileAccessException("Could not open '" + bpath
                    + "': No such file or directory"));
        }
        Path self = path.toRealPath();
        Path real = bpath.toRealPath();
        if (real.equals(self) || options.chain().contains(real)) {
            throw new CorruptImageException(f, HeaderLayout.OFF_BACKING_OFFSET,
                    "backing chain loop: backing file '" + h.backingFile() + "' (" + real
                            + ") is already open above this image");
        }
        OpenOptions below = options.below(self);
        String format = h.extensions().backingFormat();
        try {
            // the checks ImageFormats.open starts with, made first so that their failures are known as such
            ImageFormats.requireReadable(bpath);
        } catch (ImageException e) {
            throw e instanceof FileAccessException ? backingMissing(f, e) : cannotOpen(f, e);
        }
        if (format != null) {
            try {
                ImageFormats.byName(format);
            } catch (ImageException e) {
                // the backing format name in the header names no driver: say which image asked for it
                throw new ImageException(f + ": could not open backing file '" + bpath + "': " + e.getMessage(), e);
            }
        }
        try {
            return ImageFormats.openReferenced(bpath, format, below);
        } catch (ImageLockException e) {
            throw backingLockFailure(f, bpath, h, below, e);
        } catch (FileOpenException | UnsupportedFormatException e) {
            throw cannotOpen(f, e);
        } catch (BackingOpenException e) {
            throw e.above(f);
        }
    }

    /** qemu-img's words for a backing file the file driver cannot open: both names, the overlay's first. */
    private static ImageException backingMissing(String overlay, ImageException e) {
        return new BackingOpenException(overlay, e.getMessage(), e);
    }

    /** A plain open failure (a directory, a FIFO, no permission, a format qimg does not read): say who asked. */
    private static ImageException cannotOpen(String overlay, ImageException e) {
        if (e instanceof FileOpenException fo && fo.getCause() instanceof CorruptImageException) {
            // the backing file's format driver refused it (QEMU's open rules): qemu-img gives the reason alone
            return new BackingOpenException(overlay, fo.reason(), e);
        }
        return new ImageException(overlay + ": could not open backing file: " + e.getMessage(), e);
    }

    /**
     * qemu-img's words for a backing file held by another process. QEMU opens a backing file sharing
     * everything and only then narrows what it shares to what the top image shares: a conflict found while
     * opening says "Could not open backing file", one found while narrowing (convert's sources over a raw
     * backing file) does not. The hint names the backing file either way.
     */
    @SuppressWarnings("try") // the resource is held for its lifetime, not used
    private static ImageLockException backingLockFailure(String overlay, Path bpath, Qcow2Header h, OpenOptions below,
                                                         ImageLockException e) {
        ImageLockException first = e;
        if (!below.lock().equals(LockPerms.READ)) {
            try (DiskImage sharing = ImageFormats.open(bpath, h.extensions().backingFormat(),
                    below.withLock(LockPerms.READ))) {
                first = null; // the open alone succeeds: the narrowing failed
            } catch (ImageLockException again) {
                first = again;
            } catch (IOException | RuntimeException again) {
                first = e;
            }
        }
        String reason = first == null ? e.reason() : "Could not open backing file: " + first.reason();
        ImageLockException up = new ImageLockException("Could not open '" + overlay + "': " + reason, reason,
                (first == null ? e : first).lockedFile());
        up.initCause(e);
        return up;
    }

    static void closeQuietly(DiskImage img) {
        if (img != null) {
            try {
                img.close();
            } catch (IOException e) {
                // already failing; the first error is the one to report
            }
        }
    }
}
