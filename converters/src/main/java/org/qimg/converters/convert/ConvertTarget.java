package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.OpenOptions;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.NewImage;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;

/**
 * Chooses a convert target by format name and options, as qemu-img convert does before it opens the sources:
 * the format (from {@link ImageFormats#writable}) parses its options, then qemu-img convert's own rules
 * apply, in its order. Formats are reached only through {@link ImageFormat}; the result goes to
 * {@link ConvertOptions.Builder#target}.
 */
public final class ConvertTarget {
    private ConvertTarget() {
    }

    /**
     * A new image of {@code format} at {@code destination} (named in errors found while checking the options as
     * a whole, as qemu-img names the file it fails to create), for {@code sources} concatenated source images.
     */
    public static TargetImage create(String format, TargetRequest request, String destination, int sources)
            throws ImageException {
        ImageFormat f = ImageFormats.writable(format);
        NewImage n = f.create(request);
        if (n.backingFile() != null && sources > 1) {
            throw new ImageException("Having a backing file for the target makes no sense when concatenating multiple"
                    + " input images");
        }
        if (n.backingFile() != null && n.backingFormat() == null) {
            throw new ImageException("Use of backing file requires explicit backing format");
        }
        if (request.compressed() && n.isSet("preallocation") && !"off".equals(n.given("preallocation"))) {
            throw new ImageException("Compression and preallocation not supported at the same time");
        }
        try {
            return n.build();
        } catch (ImageException e) {
            // found while creating the target: qemu-img names the file and the format
            throw new ImageException(destination + ": error while converting " + f.name() + ": " + e.getMessage(),
                    e);
        }
    }

    /** The existing image {@code destination} of {@code format}, written in place (qemu-img convert -n). */
    public static TargetImage inPlace(String format, TargetRequest request, Path destination) throws IOException {
        return ImageFormats.writable(format).openForUpdate(destination, request);
    }

    /**
     * qemu-img convert opens its new target, and with it the target's backing file, before it copies anything:
     * a backing file that does not open (missing, or not in the format given) fails the convert with
     * {@code Could not open 'DST': Could not open backing file: WHY}. The file is resolved as QEMU resolves it,
     * relative to DST's directory; only its metadata is read.
     */
    public static void checkBacking(String format, TargetRequest request, Path destination) throws IOException {
        NewImage n = ImageFormats.writable(format).create(request);
        if (n.backingFile() == null || n.backingFormat() == null) {
            return;
        }
        Path backing = Path.of(org.qimg.format.spec.FileNames.combine(destination.toString(), n.backingFile()));
        try (DiskImage img = ImageFormats.openReferenced(backing, n.backingFormat(),
                OpenOptions.DEFAULT.metadataOnly())) {
            img.virtualSize();
        } catch (ImageException e) {
            if ("qcow2".equals(n.backingFormat()) && !probesAs(backing, "qcow2")) {
                // QEMU's qcow2 driver words a missing magic this way
                throw new ImageException("Could not open '" + destination + "': Could not open backing file: Image is"
                        + " not in qcow2 format", e);
            }
            throw new ImageException("Could not open '" + destination + "': Could not open backing file: "
                    + e.getMessage(), e);
        }
    }

    private static boolean probesAs(Path file, String format) {
        try {
            return ImageFormats.probe(file).name().equals(format);
        } catch (IOException e) {
            return true; // not readable at all: the open error says why
        }
    }

    /** {@link #create} or {@link #inPlace}. */
    public static TargetImage choose(String format, TargetRequest request, boolean inPlace, Path destination,
                                     int sources) throws IOException {
        return inPlace ? inPlace(format, request, destination)
                : create(format, request, destination.toString(), sources);
    }
}
