package org.qimg.cli;

import java.math.BigDecimal;
import java.util.Locale;
import picocli.CommandLine;

/** qemu-img's {@code cvtnum}: a byte count with an optional binary suffix (k, M, G, T, P, E; B for bytes). */
final class Sizes {
    private Sizes() {
    }

    static long parse(String what, String text) {
        String s = text.trim();
        long mult = 1;
        if (!s.isEmpty()) {
            char c = Character.toUpperCase(s.charAt(s.length() - 1));
            int shift = "BKMGTPE".indexOf(c);
            if (shift >= 0) {
                mult = 1L << (10 * shift);
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            BigDecimal v = new BigDecimal(s).multiply(BigDecimal.valueOf(mult));
            if (v.signum() < 0) {
                throw new NumberFormatException();
            }
            return v.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("Invalid " + what.toLowerCase(Locale.ROOT)
                    + " specified. You may use k, M, G, T, P or E suffixes for kilobytes, megabytes, gigabytes,"
                    + " terabytes, petabytes and exabytes.");
        }
    }
}
