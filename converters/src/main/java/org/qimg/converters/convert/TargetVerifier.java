package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.qimg.converters.compare.CompareResult;
import org.qimg.converters.compare.ImageComparator;
import org.qimg.converters.compare.ProgressCallback;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;

/**
 * {@code convert --verify}: reads the written target back and compares its guest content with the
 * sources' (concatenated), with qemu-img compare's rules (a size difference is fine when the longer image
 * reads as zeros there). A target that does not match must not be left behind looking like a good copy.
 */
public final class TargetVerifier {
    private TargetVerifier() {
    }

    /**
     * Compares {@code target} (opened as {@code targetFormat}) with {@code sources}; on a mismatch, deletes the
     * target when {@code removeOnMismatch} and it is a regular file (a device is never removed).
     */
    public static CompareResult verify(List<DiskImage> sources, Path target, String targetFormat,
                                       boolean removeOnMismatch) throws IOException {
        return verify(sources, target, targetFormat, removeOnMismatch, false);
    }

    /**
     * As {@link #verify(List, Path, String, boolean)}; {@code lockedByCaller}: the caller still holds the
     * target's image locks (a device written in place), so reading it back shares every permission instead of
     * refusing the caller's own write lock.
     */
    static CompareResult verify(List<DiskImage> sources, Path target, String targetFormat, boolean removeOnMismatch,
                                boolean lockedByCaller) throws IOException {
        CompareResult r;
        DiskImage in = ConcatImage.of(sources);
        try (DiskImage out = writtenPart(ImageFormats.open(target, targetFormat,
                OpenOptions.DEFAULT.forceShare(lockedByCaller)), target, in.virtualSize())) {
            r = new ImageComparator().compare(in, out, false, ProgressCallback.NONE);
        }
        if (!r.identical() && removeOnMismatch && Files.isRegularFile(target)) {
            Files.deleteIfExists(target);
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
                ? new PrefixImage(out, written) : out;
    }
}
