package org.qimg.converters.create;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.qimg.converters.convert.DeviceOutput;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageFormats;
import org.qimg.format.spec.FileNames;
import org.qimg.format.NewImage;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import java.util.List;
import org.qimg.format.ImageLimitException;
import org.qimg.format.ImageLockException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.UnknownFormatException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.ImageLock;
import org.qimg.format.io.LockPerms;
import org.qimg.format.io.Positional;
import org.qimg.format.qcow2.Qcow2DataFile;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

/** {@code qemu-img create}: a new empty raw or qcow2 image, laid out byte for byte as qemu-img does. */
public final class ImageCreator {
    /**
     * A parsed create request.
     *
     * @param description the options as qemu-img prints them after {@code Formatting 'FILE', fmt=FMT }
     * @param refused     null, or why the options cannot make an image: qemu-img finds some errors only after it
     *                    has printed the "Formatting" line, so {@link #create} throws this one
     */
    public record Plan(Path file, String format, long size, Qcow2CreateOptions qcow2, String description,
            ImageException refused, TargetImage target, RawCreate raw) {
        Plan(Path file, String format, long size, Qcow2CreateOptions qcow2, String description,
             ImageException refused) {
            this(file, format, size, qcow2, description, refused, null, null);
        }

        Plan(Path file, String format, long size, Qcow2CreateOptions qcow2, String description,
             ImageException refused, TargetImage target) {
            this(file, format, size, qcow2, description, refused, target, null);
        }
    }

    /** QEMU 7.2 image format drivers that read images but cannot create them. */
    public static final java.util.Set<String> READ_ONLY_FORMATS = java.util.Set.of("bochs", "cloop", "dmg",
            "vvfat");

    private ImageCreator() {
    }

    /**
     * Parses and validates a request. {@code size} may be null when a backing file is given (its size is
     * used, as qemu-img does); the backing file must exist and open.
     */
    public static Plan plan(Path file, String format, String optionString, String backingFile, String backingFormat,
            Long size) throws IOException {
        return plan(file, format, optionString, backingFile, backingFormat, size, false);
    }

    /**
     * As {@link #plan(Path, String, String, String, String, Long)}; {@code unsafe} is qemu-img create's
     * {@code -u}: the backing file is not opened, so its format and the size must be given.
     */
    public static Plan plan(Path file, String format, String optionString, String backingFile, String backingFormat,
            Long size, boolean unsafe) throws IOException {
        String opts = optionString == null ? "" : optionString;
        FileNames.requireFileProtocol(file.toString());
        switch (format) {
            case "raw" -> {
                RawCreate raw = RawCreate.parse(opts, size);
                if (backingFile != null) {
                    throw new UnsupportedFeatureException("Backing file not supported for file format 'raw'");
                }
                if (raw.size() == null || raw.size() < 0) {
                    throw new ImageException("Image creation needs a size parameter");
                }
                return new Plan(file, "raw", raw.size(), null, raw.describe(), raw.refused(), null, raw);
            }
            case "qcow2" -> {
                Qcow2CreateOptions.Builder b = Qcow2CreateOptions.builder(size == null ? 0 : size);
                b.apply(opts);
                if (size != null && b.isSet("size")) {
                    throw new ImageException(file + ": The image size must be specified only once");
                }
                if (size != null) {
                    b.set("size", Long.toString(size));
                }
                String back = backingFile != null ? backingFile : b.backingFile();
                String backFmt = backingFormat != null ? backingFormat : b.backingFormat();
                if (back != null) {
                    if (back.equals(file.toString())) {
                        throw new ImageException(file + ": Error: Trying to create an image with the same filename as"
                                + " the backing file");
                    }
                    if (back.isEmpty()) {
                        throw new ImageException(file + ": Expected backing file name, got empty string");
                    }
                }
                b.backingFile(back, backFmt);
                if (back != null && unsafe) {
                    // -u: the backing file is named, never opened
                    if (backFmt == null) {
                        throw new ImageException(file + ": Backing file specified without backing format");
                    }
                    if (!b.isSet("size")) {
                        throw new ImageException("Image creation needs a size parameter");
                    }
                } else if (back != null) {
                    if (backFmt == null) {
                        // as qemu-img: the backing file is opened (probed) first, then the missing format refused
                        String detected;
                        try {
                            detected = ImageFormats.probe(local(resolve(file, back))).name();
                        } catch (ImageException e) {
                            throw new CreateHintException(file + ": " + e.getMessage(), "Could not open backing"
                                    + " image.\n", e);
                        }
                        throw new CreateHintException(file + ": Backing file specified without backing format",
                                "Detected format of " + detected + ".", null);
                    }
                    long backingSize = backingSize(file, back, backFmt);
                    if (!b.isSet("size")) {
                        b.set("size", Long.toString(backingSize));
                    }
                } else if (!b.isSet("size")) {
                    throw new ImageException("Image creation needs a size parameter");
                }
                String description = b.describe();
                try {
                    Qcow2CreateOptions o = b.build();
                    return new Plan(file, "qcow2", o.virtualSize(), o, description, null);
                } catch (ImageException e) {
                    return new Plan(file, "qcow2", -1, null, description, e);
                }
            }
            case "vmdk" -> {
                return planThroughFormat(file, format, opts, backingFile, backingFormat, size);
            }
            default -> {
                if (READ_ONLY_FORMATS.contains(format)) {
                    throw new ImageException("Format driver '" + format + "' does not support image creation");
                }
                throw new UnknownFormatException("Unknown file format '" + format
                        + "' (qimg creates raw, qcow2 or vmdk)");
            }
        }
    }

    /**
     * A format whose new images are made through the format SPI ({@link NewImage}, {@link TargetImage}): an
     * empty image is a target started with the size and finished with nothing written.
     */
    private static Plan planThroughFormat(Path file, String format, String opts, String backingFile,
                                          String backingFormat, Long size) throws IOException {
        NewImage n = ImageFormats.writable(format).create(new TargetRequest(opts.isEmpty() ? List.of() : List.of(opts),
                backingFile, backingFormat, false));
        if (size != null && n.isSet("size")) {
            throw new ImageException(file + ": The image size must be specified only once");
        }
        long s;
        if (size != null) {
            s = size;
        } else if (n.isSet("size")) {
            s = QemuOptionSyntax.sizeValue("size", n.given("size"));
        } else {
            throw new ImageException("Image creation needs a size parameter");
        }
        if (size != null) {
            // the size is one of the options of a new image, as in qemu-img
            n = ImageFormats.writable(format).create(new TargetRequest(opts.isEmpty() ? List.of("size=" + s)
                    : List.of(opts, "size=" + s), backingFile, backingFormat, false));
        }
        String description = n.describe();
        try {
            return new Plan(file, format, s, null, description, null, n.build());
        } catch (ImageException e) {
            return new Plan(file, format, s, null, description, new ImageException(file + ": " + e.getMessage(), e),
                    null);
        }
    }

    /**
     * Writes the image the plan describes (replacing any existing file). An existing file that another
     * process holds (a running QEMU, or any reader that does not share writes) is refused before it is
     * truncated, as qemu-img create refuses it: {@code F: Failed to get "write" lock}.
     */
    @SuppressWarnings("try") // locks are held for the block, not used in it
    public static void create(Plan plan) throws IOException {
        Path file = local(plan.file());
        if (plan.refused() != null) {
            if (plan.raw() != null && plan.raw().refusedAfterCreating() && !DeviceOutput.isSpecial(file)) {
                // QEMU's file driver has created (or emptied) the file when it refuses the mode
                try (ImageLock lock = Files.exists(file) ? lockExisting(file) : null;
                     FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                             StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ch.size();
                }
            }
            throw plan.refused();
        }
        if (DeviceOutput.isSpecial(file)) {
            createOnDevice(plan);
            return;
        }
        boolean exists = Files.exists(file) && !Files.isDirectory(file);
        if (exists && !Files.isWritable(file)) {
            throw new ImageException("Could not create '" + file + "': Permission denied");
        }
        ImageLock held = exists ? lockExisting(file) : null;
        try (ImageLock lock = held; FileChannel ch = createChannel(file)) {
            if (plan.target() != null) {
                try (ClusterSink sink = plan.target().start(ch, file, plan.size())) {
                    sink.finish();
                } catch (ImageLimitException e) {
                    // as for qcow2: remove the (already truncated) file rather than leave an empty one
                    Files.deleteIfExists(file);
                    throw e;
                }
                ch.force(true);
                return;
            }
            if (plan.format().equals("raw")) {
                plan.raw().write(ch, file);
                return;
            }
            Qcow2Writer w;
            try {
                w = Qcow2DataFile.start(ch, file, plan.qcow2(), true);
            } catch (ImageLimitException e) {
                if (plan.qcow2().dataFile() != null) {
                    Files.deleteIfExists(file);
                    throw e;
                }
                // QEMU's EFBIG (L1 table over 32 MiB), worded as qemu-img create words it; like qemu-img, remove
                // the file (already truncated) rather than leave an empty one
                java.nio.file.Files.deleteIfExists(file);
                throw new ImageLimitException("The image size is too large for file format 'qcow2' (try using a larger"
                        + " cluster size)");
            } catch (ImageException e) {
                // the external data file could not be made: as qemu-img, no image file is left either
                Files.deleteIfExists(file);
                throw e;
            }
            try (Qcow2Writer written = w) {
                written.finish();
            }
            ch.force(true);
        }
    }

    /**
     * A device, FIFO or socket named as the new image: as qemu-img, a block device is written in place, never
     * truncated (a raw image needs only room, and its first sector is zeroed so that an old header is not
     * probed again; a qcow2 image gets its metadata from byte 0); the rest is refused ({@link DeviceOutput}).
     * A block device another process holds is refused first.
     */
    @SuppressWarnings("try") // locks are held for the block, not used in it
    private static void createOnDevice(Plan plan) throws IOException {
        Path file = local(plan.file());
        long size = plan.format().equals("raw") ? (plan.size() + 511) / 512 * 512 : 0;
        try (DeviceOutput device = DeviceOutput.openForCreate(file, plan.format(), size)) {
            try (ImageLock held = lockExisting(file)) {
                if (plan.format().equals("qcow2")) {
                    try (Qcow2Writer w = Qcow2DataFile.start(device.channel(), file, plan.qcow2())) {
                        w.finish();
                    }
                } else if (device.blockDevice()) {
                    long first = Math.min(512, device.channel().size());
                    Positional.writeFully(device.channel(), ByteBuffer.allocate((int) first), 0);
                }
                device.finish(true);
            }
        }
    }

    /** Creates (or empties) {@code file}; a failure in QEMU's words ("Could not create 'F': Is a directory"). */
    private static FileChannel createChannel(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (java.nio.file.FileSystemException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "Permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "No such file or directory"
                    : e.getReason() != null ? e.getReason() : e.getMessage();
            throw new ImageException("Could not create '" + file + "': " + why, e);
        }
    }

    /** Holds {@code file} as qemu-img create does, refusing one another process holds. */
    private static ImageLock lockExisting(Path file) throws ImageException {
        try {
            return ImageLock.acquire(file, LockPerms.CREATE);
        } catch (ImageLockException e) {
            throw e.withPrefix(file + ": ");
        }
    }

    /**
     * The backing file's name as QEMU combines it: a relative name against the new image's directory as given
     * (a name with a protocol, {@code file:NAME} among them, as it is).
     */
    private static Path resolve(Path file, String backing) {
        return Path.of(FileNames.combine(file.toString(), backing));
    }

    /** The file a name given to create names: without its {@code file:} prefix. */
    private static Path local(Path name) throws ImageException {
        return Path.of(FileNames.localFile(name.toString()));
    }

    private static long backingSize(Path file, String backing, String format) throws IOException {
        Path p = resolve(file, backing);
        // only the size is needed: as qemu-img create, leave the backing file's data file unopened
        try (DiskImage img = ImageFormats.openReferenced(p, format,
                org.qimg.format.OpenOptions.DEFAULT.metadataOnly())) {
            return img.virtualSize();
        } catch (ImageException e) {
            throw new CreateHintException(file + ": " + e.getMessage(), "Could not open backing image.\n", e);
        }
    }
}
