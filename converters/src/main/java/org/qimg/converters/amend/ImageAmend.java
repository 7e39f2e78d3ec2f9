package org.qimg.converters.amend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qimg.format.AmendRequest;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageAmender;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;

/** The steps of {@code qemu-img amend} that do not depend on the format, with qemu-img's messages. */
public final class ImageAmend {
    private ImageAmend() {
    }

    /** What {@code qemu-img amend -f FORMAT -o help} prints ({@code print_amend_option_help}). */
    public static String help(String format) throws ImageException {
        ImageFormat f;
        try {
            f = ImageFormats.byName(format);
        } catch (ImageException e) {
            throw new ImageException("Unknown file format '" + format + "'");
        }
        return "Amend options for '" + f.name() + "':\n" + amender(f).optionsHelp();
    }

    /**
     * Opens {@code path} as qemu-img's {@code img_open} does (with {@code format}, or probing it) and returns
     * the format's name; {@code probed} gets the name of a probed format (qemu-img warns about a probed raw
     * image it opens for writing). With {@code dataFileGiven} (qemu-img's {@code --image-opts} named the
     * external data file), the data file the image names is not opened: amend changes no guest data.
     */
    public static String formatOf(Path path, String format, Consumer<String> probed, boolean dataFileGiven)
            throws IOException {
        String name;
        // qemu-img opens it read-write: its words for a missing file or a directory
        org.qimg.format.spec.SpecOpener.fileForWriting(path.toString());
        OpenOptions how = dataFileGiven ? OpenOptions.DEFAULT.metadataOnly() : OpenOptions.DEFAULT;
        try (DiskImage image = ImageFormats.open(path, format, how)) {
            name = image.formatName();
        }
        if (format == null && probed != null) {
            probed.accept(name);
        }
        return name;
    }

    /**
     * Amends the image {@code path} of format {@code format} with the {@code -o} list {@code options};
     * {@code log} gets the lines qemu-img prints on stderr on the way.
     */
    public static void amend(Path path, String format, String options, boolean force, AmendRequest.Status status,
            AmendRequest.Log log) throws IOException {
        amender(ImageFormats.byName(format)).amend(path, new AmendRequest(options, force, status, log));
    }

    private static ImageAmender amender(ImageFormat f) throws ImageException {
        ImageAmender a = f.amender();
        if (a == null) {
            throw new ImageException("Format driver '" + f.name() + "' does not support option amendment");
        }
        return a;
    }
}
