package org.qimg.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.qimg.format.qcow2.Qcow2Format;
import org.qimg.format.raw.RawFormat;

/** The registry of formats qimg knows, and probing by signature like qemu-img (qcow2 magic, else raw). */
public final class ImageFormats {
    private static final List<ImageFormat> FORMATS = List.of(new Qcow2Format(), new RawFormat());

    private ImageFormats() {
    }

    /**
     * Loads the native helpers the readers use (JNA and libc, for allocated blocks and SEEK_DATA/SEEK_HOLE)
     * now instead of on the first raw file opened. Loading them costs tens of milliseconds of class
     * initialisation, so a program that calls this on a background thread overlaps it with its own
     * start-up; calling it is never needed for correctness.
     */
    public static void preloadNatives() {
        org.qimg.format.raw.HostFiles.preload();
    }

    public static List<ImageFormat> all() {
        return FORMATS;
    }

    /** The format named {@code name} (case-insensitive), or an error listing the known ones. */
    public static ImageFormat byName(String name) throws ImageException {
        for (ImageFormat f : FORMATS) {
            if (f.name().equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new UnsupportedFeatureException("Unknown file format '" + name + "' (known: qcow2, raw)");
    }

    /** Detects the format of {@code path} from its first bytes; raw when nothing else matches. */
    public static ImageFormat probe(Path path) throws IOException {
        requireReadableFile(path);
        byte[] header = new byte[512];
        int n = 0;
        try (InputStream in = Files.newInputStream(path)) {
            int r;
            while (n < header.length && (r = in.read(header, n, header.length - n)) > 0) {
                n += r;
            }
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not open '" + path + "': No such file or directory", e);
        }
        for (ImageFormat f : FORMATS) {
            if (f.matches(header, n)) {
                return f;
            }
        }
        return FORMATS.get(FORMATS.size() - 1);
    }

    /**
     * Fails with qemu-img's wording ("Could not open 'F': ...") unless {@code path} names an existing file
     * that is not a directory, so that the error names the file instead of echoing a bare OS message.
     */
    public static void requireReadableFile(Path path) throws ImageException {
        if (!Files.exists(path)) {
            throw new ImageException("Could not open '" + path + "': No such file or directory");
        }
        if (Files.isDirectory(path)) {
            throw new ImageException("Could not open '" + path + "': Is a directory");
        }
        if (!Files.isReadable(path)) {
            throw new ImageException("Could not open '" + path + "': Permission denied");
        }
        String special = specialFileKind(path);
        if (special != null) {
            // opening a FIFO for reading blocks until a writer appears: refuse instead of hanging
            throw new ImageException("Could not open '" + path + "': is a " + special + ", not a disk image file");
        }
    }

    /** "FIFO" or "socket" when {@code path} is one (on systems that report a POSIX file mode), else null. */
    private static String specialFileKind(Path path) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return null;
        }
        int type = mode & 0170000;
        return type == 0010000 ? "FIFO" : type == 0140000 ? "socket" : null;
    }

    /** Opens {@code path} as {@code format}, or as the probed format when {@code format} is null. */
    public static DiskImage open(Path path, String format, OpenOptions options) throws IOException {
        requireReadableFile(path);
        ImageFormat f = format == null ? probe(path) : byName(format);
        return f.open(path, options);
    }

    public static DiskImage open(Path path, String format) throws IOException {
        return open(path, format, OpenOptions.DEFAULT);
    }
}
