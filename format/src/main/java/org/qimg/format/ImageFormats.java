package org.qimg.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.qimg.format.container.Containers;
import org.qimg.format.probe.ForeignFormat;
import org.qimg.format.probe.ProbeBytes;
import org.qimg.format.probe.Signature;
import org.qimg.format.probe.Signatures;
import org.qimg.format.qcow2.Qcow2Format;
import org.qimg.format.raw.RawFormat;
import org.qimg.format.spec.SpecOpener;
import org.qimg.format.vmdk.VmdkFormat;

/**
 * The registry of formats qimg reads, and probing by signature like qemu-img 7.2: the format with the
 * highest score wins; qcow2 and vmdk score 100, raw is what is left. Files of formats qimg recognises but does not
 * read (vhdx, vpc, ... and compressed or archived files, see {@link Signatures}) probe as a
 * {@link ForeignFormat}, whose open fails with a message naming the file and the format: they are never
 * read as raw unless {@code -f raw} says so.
 */
public final class ImageFormats {
    private static final List<ImageFormat> FORMATS = List.of(new Qcow2Format(), new VmdkFormat(), new RawFormat());

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

    /** The formats qimg reads, qcow2 first. */
    public static List<ImageFormat> all() {
        return FORMATS;
    }

    /**
     * The format named {@code name} (case-insensitive), or an error listing the known ones. A format QEMU
     * knows and qimg does not read (e.g. vhdx) is returned as a {@link ForeignFormat} that refuses to open.
     */
    public static ImageFormat byName(String name) throws ImageException {
        String lower = name.toLowerCase(Locale.ROOT);
        for (ImageFormat f : FORMATS) {
            if (f.name().equals(lower)) {
                return f;
            }
        }
        Optional<Signature> foreign = Signatures.imageFormat(lower);
        if (foreign.isPresent()) {
            return ForeignFormat.named(foreign.get());
        }
        throw new UnsupportedFeatureException("Unknown file format '" + name + "' (known: qcow2, vmdk, raw)");
    }

    /**
     * Detects the format of {@code path} as qemu-img does, from its first 512 bytes (zero-padded) and its
     * name; qimg also looks at its last 512 bytes for trailers QEMU ignores. An empty file is raw.
     */
    public static ImageFormat probe(Path path) throws IOException {
        requireReadable(path);
        return probe(ProbeBytes.read(path));
    }

    /** The format of a file whose probe bytes are {@code bytes}: qimg's own formats first, then the others. */
    @SuppressWarnings("exports") // the signature tests' entry; ProbeBytes is internal to qimg
    public static ImageFormat probe(ProbeBytes bytes) {
        ImageFormat raw = FORMATS.get(FORMATS.size() - 1);
        if (bytes.size() == 0) {
            return raw;
        }
        ImageFormat best = raw;
        int bestScore = 1;
        for (ImageFormat f : FORMATS) {
            if (f.matches(bytes.head(), bytes.head().length)) {
                best = f;
                bestScore = 100;
                break;
            }
        }
        Optional<Signature> other = Signatures.best(bytes);
        if (other.isPresent() && other.get().score() > bestScore) {
            return ForeignFormat.detected(other.get());
        }
        return best;
    }

    /**
     * Fails with qemu-img's wording ("Could not open 'F': ...") unless {@code path} names an existing file
     * that is not a directory, so that the error names the file instead of echoing a bare OS message. The file
     * driver's words when it opens read-write; {@link #requireReadable} has those of a read-only open.
     */
    public static void requireReadableFile(Path path) throws ImageException {
        if (!Files.exists(path)) {
            throw new FileAccessException("Could not open '" + path + "': No such file or directory");
        }
        if (Files.isDirectory(path)) {
            throw new FileAccessException("Could not open '" + path + "': Is a directory");
        }
        if (!Files.isReadable(path)) {
            throw new FileAccessException("Could not open '" + path + "': Permission denied");
        }
        String special = specialFileKind(path);
        if (special != null) {
            // opening a FIFO for reading blocks until a writer appears: refuse instead of hanging
            throw new ImageException("Could not open '" + path + "': is a " + special + ", not a disk image file");
        }
    }

    /**
     * As {@link #requireReadableFile}, in the words of QEMU's read-only open, which names a directory as not a
     * regular file rather than failing to open it.
     */
    public static void requireReadable(Path path) throws ImageException {
        if (Files.isDirectory(path)) {
            throw new FileAccessException("'file' driver requires '" + path + "' to be a regular file");
        }
        requireReadableFile(path);
    }

    /**
     * Refuses an existing image to be written in place ({@code convert -n}) that qemu-img cannot open as an
     * image of {@code format}, with qemu-img's message, before anything opens it (opening a FIFO would block
     * until a reader comes): a missing file, a FIFO, a socket, and a character device unless the format is
     * raw. Symbolic links are followed.
     */
    public static void requireUpdatable(Path path, String format) throws ImageException {
        String open = "Could not open '" + path + "': ";
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException | SecurityException e) {
            // qemu-img's open names the file, then the file driver's (a read-write open)
            throw new ImageException(open + open + "No such file or directory");
        }
        if (a.isDirectory()) {
            throw new ImageException(open + open + "Is a directory");
        }
        if (!Files.isReadable(path) || !Files.isWritable(path)) {
            throw new ImageException(open + open + "Permission denied");
        }
        if (a.isRegularFile()) {
            return;
        }
        String kind = fileKind(path);
        if ("block device".equals(kind)) {
            return;
        }
        if ("FIFO".equals(kind)) {
            throw new ImageException(open + "'file' driver requires '" + path + "' to be a regular file");
        }
        if ("socket".equals(kind)) {
            throw new ImageException(open + open + "No such device or address");
        }
        // a character device, or a node this platform cannot tell apart
        if (!"raw".equals(format)) {
            throw new ImageException(open + "Image is not in " + format + " format");
        }
    }

    /** "FIFO" or "socket" when {@code path} is one (on systems that report a POSIX file mode), else null. */
    private static String specialFileKind(Path path) {
        String kind = fileKind(path);
        return "FIFO".equals(kind) || "socket".equals(kind) ? kind : null;
    }

    /**
     * The POSIX type of {@code path} (following symbolic links): "regular file", "directory", "FIFO",
     * "socket", "character device", "block device" or "symbolic link"; null when the system does not
     * report a POSIX mode or the file cannot be examined.
     */
    public static String fileKind(Path path) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException
                 | SecurityException e) {
            return null;
        }
        return switch (mode & 0170000) {
            case 0100000 -> "regular file";
            case 0040000 -> "directory";
            case 0010000 -> "FIFO";
            case 0140000 -> "socket";
            case 0020000 -> "character device";
            case 0060000 -> "block device";
            case 0120000 -> "symbolic link";
            default -> null;
        };
    }

    /**
     * The format named {@code name} (case-insensitive) that qimg can write, or an error naming the ones it
     * writes.
     */
    public static ImageFormat writable(String name) throws ImageException {
        String lower = name.toLowerCase(Locale.ROOT);
        for (ImageFormat f : FORMATS) {
            if (f.writable() && f.name().equals(lower)) {
                return f;
            }
        }
        throw new ImageException("Unknown file format '" + name + "' (qimg writes qcow2, vmdk, raw)");
    }

    /**
     * Opens {@code path} as {@code format}, or as the probed format when {@code format} is null. A compressed
     * file or tar archive opens the image inside it ({@link Containers}), whose format {@code format} then
     * names ({@code -f raw} still reads a container's own bytes as raw); {@code tar:ARCHIVE::MEMBER} names a
     * member of an archive.
     */
    public static DiskImage open(Path path, String format, OpenOptions options) throws IOException {
        if (SpecOpener.isSpec(path.toString())) {
            // json:{...}, file:NAME or an --image-opts option string: the image the options describe
            return SpecOpener.open(path.toString(), format, options);
        }
        try {
            return openFile(path, format, options);
        } catch (FileAccessException e) {
            // qemu-img's open names the image, then the file driver the file: "Could not open 'F': Could not ..."
            throw e.named(path.toString());
        }
    }

    /**
     * Opens a file an image or a command's option refers to (a backing file) as QEMU's block layer does: as
     * {@link #open(Path, String, OpenOptions)}, but a file that cannot be opened fails in the file driver's
     * words alone ({@link FileAccessException}), which the caller puts in its own.
     */
    public static DiskImage openReferenced(Path path, String format, OpenOptions options) throws IOException {
        if (SpecOpener.isSpec(path.toString())) {
            return SpecOpener.openReferenced(path.toString(), format, options);
        }
        return openFile(path, format, options);
    }

    /** As {@link #open(Path, String, OpenOptions)}, {@code path} always the name of a file (never options). */
    public static DiskImage openFile(Path path, String format, OpenOptions options) throws IOException {
        Optional<Containers.MemberSpec> member = Containers.memberSpec(path);
        if (member.isPresent()) {
            return Containers.openMember(member.get(), format, options);
        }
        requireReadable(path);
        ImageFormat f = format == null ? probe(path) : byName(format);
        boolean probedContainer = f instanceof ForeignFormat ff && ff.signature().kind() != Signature.Kind.IMAGE;
        boolean namedInner = format != null && !(f instanceof RawFormat) && !(f instanceof ForeignFormat);
        if (probedContainer || namedInner) {
            // a compressed file or archive: the format (probed or named) is the one inside; -f raw reads the bytes
            Optional<DiskImage> inner = Containers.openIfContainer(path, format, options);
            if (inner.isPresent()) {
                return inner.get();
            }
        }
        return f.open(path, options);
    }

    public static DiskImage open(Path path, String format) throws IOException {
        return open(path, format, OpenOptions.DEFAULT);
    }
}
