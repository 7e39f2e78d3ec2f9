package org.qimg.converters.create;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.ResizeRequest.Preallocation;
import org.qimg.format.raw.HostTruncate;

/**
 * The options of a new raw image as qemu-img create takes them: {@code size} from the raw driver, and the file
 * protocol's {@code nocow}, {@code preallocation} (off, falloc, full) and {@code extent_size_hint}. The last two
 * are refused, as qemu-img refuses them, only after the "Formatting" line ({@link #refused()}).
 */
final class RawCreate {
    /** QEMU refuses an extent size hint that does not fit the kernel's 32-bit field. */
    private static final long MAX_EXTENT_HINT = 0xffffffffL;

    private final Long size;
    /** The size as given (qemu-img prints it before rounding it up to whole sectors). */
    private final Long givenSize;
    private final String nocow;
    private final String preallocation;
    private final Long extentHint;
    private final Preallocation mode;
    private final ImageException refused;

    private RawCreate(Long size, String nocow, String preallocation, Long extentHint) {
        this.givenSize = size;
        this.size = size == null ? null : size < 0 || size > Long.MAX_VALUE - 511 ? size : (size + 511) / 512 * 512;
        this.nocow = nocow;
        this.preallocation = preallocation;
        this.extentHint = extentHint;
        Preallocation p = preallocation == null ? Preallocation.OFF : Preallocation.parse(preallocation);
        ImageException r = null;
        if (p == null) {
            r = new ImageException("invalid parameter value: " + preallocation);
        } else if (p == Preallocation.METADATA) {
            r = new ImageException("Unsupported preallocation mode: metadata");
        } else if (extentHint != null && extentHint > MAX_EXTENT_HINT) {
            r = new ImageException("Extent size hint is too large");
        }
        this.mode = p;
        this.refused = r;
    }

    /** Parses {@code -o} ({@code opts}) with the size given on the command line ({@code size}, or null). */
    static RawCreate parse(String opts, Long size) throws ImageException {
        Map<String, String> m = QemuOptionSyntax.splitOptions(opts);
        Long s = size;
        String nocow = null;
        String prealloc = null;
        Long hint = null;
        for (Map.Entry<String, String> e : m.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "size" -> {
                    if (size != null) {
                        throw new ImageException("The image size must be specified only once");
                    }
                    s = QemuOptionSyntax.parseSize(v);
                }
                case "nocow" -> nocow = QemuOptionSyntax.parseBool("nocow", v) ? "on" : "off";
                case "preallocation" -> prealloc = v;
                case "extent_size_hint" -> hint = QemuOptionSyntax.sizeValue("extent_size_hint", v);
                default -> throw new ImageException("Invalid parameter '" + e.getKey() + "'");
            }
        }
        return new RawCreate(s, nocow, prealloc, hint);
    }

    Long size() {
        return size;
    }

    /** Whether qemu-img has created (emptied) the file before it reports {@link #refused()}. */
    boolean refusedAfterCreating() {
        return mode == Preallocation.METADATA;
    }

    /** Null, or the error qemu-img reports after printing the "Formatting" line. */
    ImageException refused() {
        return refused;
    }

    /** The options as qemu-img prints them after {@code fmt=raw }. */
    String describe() {
        List<String> parts = new ArrayList<>();
        parts.add("size=" + givenSize);
        if (nocow != null) {
            parts.add("nocow=" + nocow);
        }
        if (preallocation != null) {
            parts.add("preallocation=" + preallocation);
        }
        if (extentHint != null) {
            parts.add("extent_size_hint=" + extentHint);
        }
        return String.join(" ", parts);
    }

    /** Sizes the (empty) new file as QEMU's file driver creates it. */
    void write(FileChannel ch, Path file) throws IOException {
        try {
            HostTruncate.truncate(ch, file, size, mode);
        } catch (ImageLimitException e) {
            throw new ImageLimitException("The image size is too large for file format 'raw'");
        }
    }
}
