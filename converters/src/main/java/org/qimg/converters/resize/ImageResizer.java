package org.qimg.converters.resize;

import java.io.IOException;
import java.nio.file.Path;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.ResizeRequest;

/**
 * Resizes an image as {@code qemu-img resize} does: reads the current virtual size, works out the new one
 * ({@code SIZE}, {@code +SIZE} or {@code -SIZE}), applies qemu-img's rules and their messages, then asks the
 * format to change the image.
 */
public final class ImageResizer {

    /** qemu-img's refusal of a shrink without {@code --shrink}: its error, then its warning line. */
    public static final class ShrinkRefusedException extends ImageException {
        private static final long serialVersionUID = 1L;
        public static final String WARNING = "Shrinking an image will delete all data beyond the shrunken image's"
                + " end. Before performing such an operation, make sure there is no important data there.";

        ShrinkRefusedException() {
            super("Use the --shrink option to perform a shrink operation.");
        }
    }

    /**
     * A size as given to qemu-img resize: {@code amount} bytes, absolute ({@code sign} 0) or added
     * ({@code +1}) or taken away ({@code -1}).
     *
     * @param amount the size in bytes; negative when it did not fit in 63 bits (qemu-img then computes a
     *               negative size, and refuses it as not positive)
     */
    public record SizeChange(int sign, long amount) {
        long applyTo(long current) {
            if (amount < 0) {
                return -1;
            }
            try {
                return sign == 0 ? amount : Math.addExact(current, sign * amount);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
    }

    /** What happened: the virtual sizes before and after. */
    public record Result(long oldSize, long newSize) {
    }

    /**
     * @param format   the format name, or null to probe
     * @param probed   called with the probed format's name when {@code format} was null (qemu-img warns
     *                 about a probed raw image it writes to)
     */
    public Result resize(Path path, String format, SizeChange change, boolean shrink,
                         ResizeRequest.Preallocation prealloc, java.util.function.Consumer<String> probed)
            throws IOException {
        long current;
        ImageFormat f;
        boolean longerBacking;
        try (DiskImage image = ImageFormats.open(path, format, OpenOptions.DEFAULT)) {
            current = image.virtualSize();
            f = ImageFormats.byName(image.formatName());
            longerBacking = image.backing().map(b -> b.virtualSize() > image.virtualSize()).orElse(false);
        }
        if (format == null && probed != null) {
            probed.accept(f.name());
        }
        long total = change.applyTo(current);
        if (total <= 0) {
            throw new ImageException("New image size must be positive");
        }
        if (total <= current && prealloc != ResizeRequest.Preallocation.OFF) {
            throw new ImageException("Preallocation can only be used for growing images");
        }
        if (total < current && !shrink) {
            throw new ShrinkRefusedException();
        }
        f.resize(path, new ResizeRequest(total, prealloc, false, longerBacking && total > current));
        return new Result(current, total);
    }
}
