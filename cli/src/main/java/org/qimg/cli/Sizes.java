package org.qimg.cli;

import java.util.Locale;
import org.qimg.format.qcow2.Qcow2CreateOptions;
import picocli.CommandLine;

/**
 * qemu-img's {@code cvtnum} for options such as {@code map -s/-l} and {@code convert -S}: a byte count with an
 * optional binary suffix (k, M, G, T, P, E; B for bytes). The rules are {@link Qcow2CreateOptions#parseSize}'s,
 * the one size parser that create, measure and {@code -o size=} use too; this adds qemu-img's message.
 */
final class Sizes {
    private Sizes() {
    }

    static long parse(String what, String text) {
        long v = Qcow2CreateOptions.parseSize(text);
        if (v < 0) {
            throw new CommandLine.TypeConversionException("Invalid " + what.toLowerCase(Locale.ROOT)
                    + " specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes,"
                    + " terabytes, petabytes and exabytes.");
        }
        return v;
    }
}
