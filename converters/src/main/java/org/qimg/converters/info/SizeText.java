package org.qimg.converters.info;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** QEMU's {@code size_to_str}: "%0.3g" of the value in the largest binary unit whose value is &lt; 1000. */
public final class SizeText {
    private static final String[] SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

    private SizeText() {
    }

    public static String of(long bytes) {
        double v = bytes;
        int unit = 0;
        if (bytes > 0) {
            unit = Math.getExponent(v / (1000.0 / 1024.0)) / 10;
        }
        double scaled = v / (double) (1L << (unit * 10));
        return formatG3(scaled) + " " + SUFFIXES[unit] + "B";
    }

    /** C's {@code printf("%0.3g", v)} for finite v &gt;= 0. */
    static String formatG3(double v) {
        if (v == 0) {
            return "0";
        }
        BigDecimal r = new BigDecimal(v).round(new MathContext(3, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        if (exp < -4 || exp >= 3) {
            BigDecimal mant = r.movePointLeft(exp).stripTrailingZeros();
            String m = mant.scale() <= 0 ? mant.toBigInteger().toString() : mant.toPlainString();
            return m + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        BigDecimal s = r.stripTrailingZeros();
        return s.scale() <= 0 ? s.toBigInteger().toString() : s.toPlainString();
    }
}
