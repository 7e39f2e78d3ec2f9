package org.qimg.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.qimg.format.QemuOptionSyntax;

/**
 * qemu-img's {@code cvtnum} for sizes given as arguments (create SIZE, measure --size, convert -S, map -s/-l):
 * {@link QemuOptionSyntax#parseSize}'s rules, the one size parser that {@code -o size=} uses too, with
 * qemu-img's messages and its deprecation warning for a suffix on a hex number.
 */
final class Sizes {
    private Sizes() {
    }

    /** As {@link #parse(String, String, PrintWriter)} without the hex-suffix warning. */
    static long parse(String what, String text) {
        return parse(what, text, null);
    }

    /**
     * @param what the quantity as qemu-img names it in its message, e.g. "image size"
     * @param warnings where the hex-suffix warning goes, or null for none
     */
    static long parse(String what, String text, PrintWriter warnings) {
        long v = QemuOptionSyntax.parseSize(text);
        String name = what.toLowerCase(Locale.ROOT);
        if (v == QemuOptionSyntax.SIZE_OUT_OF_RANGE) {
            throw new ExitCodeException(1, "Invalid " + name + " specified. Must be between 0 and "
                    + Long.MAX_VALUE + ".");
        }
        if (v < 0) {
            // qemu-img reports this in two lines
            throw new ExitCodeException(1, "Invalid " + name + " specified. You may use k, M, G, T, P or E suffixes"
                    + " for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        if (warnings != null && QemuOptionSyntax.hexWithSuffix(text)) {
            warnings.println("qimg: warning: Using a multiplier suffix on hex numbers is deprecated: " + text);
            warnings.flush();
        }
        return v;
    }
}
