package org.qimg.converters.convert;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.qimg.format.ImageException;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * A compressed file around a raw target, asked for with {@code -o container=xz|zstd|gzip} (never guessed from
 * DST's name): the raw image is written as usual into an unnamed temporary file, then compressed into DST
 * (or onto stdout). Each container is what its command-line tool writes by default, so the tool decompresses
 * it: xz preset 6 with CRC64 (one block: xz-java has no multi-threaded encoder), zstd level 3 with a
 * checksum (on every core), gzip level 6.
 */
public enum OutputContainer {
    XZ, ZSTD, GZIP;

    /** The option that asks for a container. */
    public static final String OPTION = "container";

    /** {@code -o} strings without the container option, and the container they asked for (or null). */
    public record Split(List<String> options, OutputContainer container) {
    }

    /**
     * Takes {@code container=NAME} out of qemu-img's {@code -o} strings (comma-separated, {@code ,,} for a
     * literal comma); the rest goes to the format as given.
     */
    public static Split split(List<String> options) throws ImageException {
        List<String> rest = new ArrayList<>();
        OutputContainer found = null;
        for (String o : options) {
            List<String> kept = new ArrayList<>();
            for (String part : o.split("(?<!,),(?!,)", -1)) {
                if (part.startsWith(OPTION + "=")) {
                    found = parse(part.substring(OPTION.length() + 1));
                } else {
                    kept.add(part);
                }
            }
            String joined = String.join(",", kept);
            if (!joined.isEmpty()) {
                rest.add(joined);
            }
        }
        return new Split(rest, found);
    }

    private static OutputContainer parse(String name) throws ImageException {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "xz" -> XZ;
            case "zstd" -> ZSTD;
            case "gzip" -> GZIP;
            default -> throw new ImageException("Invalid value '" + name + "' for option 'container' (expected xz, "
                    + "zstd or gzip)");
        };
    }

    /** A stream that compresses into {@code out}; closing it finishes the container and closes {@code out}. */
    OutputStream wrap(OutputStream out, int threads) throws IOException {
        return switch (this) {
            case XZ -> new XZOutputStream(out, new LZMA2Options(LZMA2Options.PRESET_DEFAULT));
            case ZSTD -> {
                ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out, 3);
                z.setChecksum(true);
                if (threads > 1) {
                    z.setWorkers(threads);
                }
                yield z;
            }
            case GZIP -> new GZIPOutputStream(out, 1 << 16);
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
