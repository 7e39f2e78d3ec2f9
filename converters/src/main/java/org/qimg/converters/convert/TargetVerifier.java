package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.qimg.converters.compare.CompareResult;
import org.qimg.converters.compare.ImageComparator;
import org.qimg.converters.compare.ProgressCallback;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;

/**
 * {@code convert --verify}: reads the written target back and compares its guest content with the
 * sources' (concatenated), with qemu-img compare's rules (a size difference is fine when the longer image
 * reads as zeros there). It only reads: a new file is verified before it replaces anything (the caller then
 * drops it), a file or device written in place stays as written.
 */
public final class TargetVerifier {
    private TargetVerifier() {
    }

    /** Compares {@code target} (opened as {@code targetFormat}) with {@code sources}. */
    public static CompareResult verify(List<DiskImage> sources, Path target, String targetFormat) throws IOException {
        CompareResult r;
        DiskImage in = ConcatImage.of(sources);
        try (DiskImage out = writtenPart(ImageFormats.open(target, targetFormat), target, in.virtualSize())) {
            r = new ImageComparator().compare(in, out, false, ProgressCallback.NONE);
        }
        return r;
    }

    /**
     * A raw block device larger than the image keeps its old bytes past it (as with qemu-img): only the
     * first {@code written} bytes are the converted image.
     */
    private static DiskImage writtenPart(DiskImage out, Path target, long written) {
        boolean device = DestinationKind.of(target) == DestinationKind.BLOCK_DEVICE;
        return device && "raw".equals(out.formatName()) && out.virtualSize() > written
                ? SliceImage.prefix(out, written) : out;
    }
}
