package org.qimg.converters.dd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertTarget;
import org.qimg.converters.convert.Converter;
import org.qimg.converters.convert.SliceImage;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import org.qimg.format.TargetRequest;
import org.qimg.format.io.LockPerms;

/**
 * {@code qemu-img dd}: copies input bytes from {@code skip * bs} up to {@code count * bs} (qemu-img counts
 * {@code count} from the start of the input, not from the skipped-to offset) into a new image of format
 * {@code outFormat}, every block written (no holes), as qemu-img 7.2 does.
 */
public final class ImageDd {
    /** The operands: block size, and count and skip in blocks (null when not given). */
    public record Operands(long bs, Long count, Long skip) {
    }

    private ImageDd() {
    }

    /**
     * @param warnings receives qemu-img's non-fatal message when {@code skip} lies past the input's end (the
     *                 output is then empty)
     */
    public static void dd(Path in, String inFormat, boolean forceShare, String outFormat, Path out, Operands o,
                          Consumer<String> warnings) throws IOException {
        DiskImage src = ImageFormats.open(in, inFormat,
                OpenOptions.DEFAULT.withLock(LockPerms.READ_UNSHARED).forceShare(forceShare));
        try {
            long size = src.virtualSize();
            long bs = o.bs();
            if (o.count() != null && o.count() <= Long.MAX_VALUE / bs && o.count() * bs < size) {
                size = o.count() * bs;
            }
            boolean beyond = o.skip() != null && (o.skip() > Long.MAX_VALUE / bs || size < o.skip() * bs);
            long start = beyond ? size : (o.skip() == null ? 0 : o.skip() * bs);
            var target = ConvertTarget.choose(outFormat, new TargetRequest(List.of(), null, null, false), false, out, 1);
            ConvertOptions options = ConvertOptions.builder().target(target).sparseSize(0).build();
            DiskImage slice = SliceImage.slice(src, start, size - start);
            src = slice;
            Converter.convert(List.of(slice), out, options);
            if (beyond) {
                warnings.accept(in + ": cannot skip to specified offset");
            }
        } finally {
            src.close();
        }
    }
}
