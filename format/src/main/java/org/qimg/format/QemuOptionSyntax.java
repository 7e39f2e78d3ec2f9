package org.qimg.format;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * QEMU's option syntax as qemu-img 7.2 parses it: {@code -o key=value,...} strings, sizes with suffixes
 * ({@code qemu_strtosz}), numbers and booleans of option values, with qemu-img's error wording.
 */
public final class QemuOptionSyntax {
    private QemuOptionSyntax() {
    }

    /**
     * Splits a qemu option string {@code k=v,k=v} into ordered pairs. A doubled comma ({@code ,,}) stands
     * for a literal comma inside a value. A key without {@code =} gets the value {@code "on"}, as QEMU's
     * option parser does for booleans. A later key replaces an earlier one.
     */
    public static Map<String, String> splitOptions(String s) throws ImageException {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            StringBuilder key = new StringBuilder();
            while (i < n && s.charAt(i) != '=' && s.charAt(i) != ',') {
                key.append(s.charAt(i++));
            }
            String value;
            if (i < n && s.charAt(i) == '=') {
                i++;
                StringBuilder v = new StringBuilder();
                while (i < n) {
                    char c = s.charAt(i);
                    if (c == ',') {
                        if (i + 1 < n && s.charAt(i + 1) == ',') {
                            v.append(',');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    v.append(c);
                    i++;
                }
                value = v.toString();
            } else {
                value = "on";
            }
            if (i < n) {
                i++; // the separating comma
            }
            if (key.length() == 0) {
                throw new ImageException("Invalid option string '" + s + "': empty parameter name");
            }
            out.remove(key.toString());
            out.put(key.toString(), value);
        }
        return out;
    }

    /** {@link #parseSize} result: the text is not a size. */
    public static final long SIZE_INVALID = -1;
    /** {@link #parseSize} result: a well-formed size of 2^63 bytes or more (qemu-img: "Must be between..."). */
    public static final long SIZE_OUT_OF_RANGE = -2;

    private static final java.math.BigInteger TWO_64 = java.math.BigInteger.ONE.shiftLeft(64);

    /**
     * Parses a size as qemu-img 7.2 does (QEMU's {@code qemu_strtosz}): optional leading white space and
     * '+', decimal digits or {@code 0x} hex digits, for decimal an optional fraction ({@code 1.5G}, no
     * exponent; a fraction needs a suffix other than b), one optional suffix b, k, M, G, T, P, E (any case,
     * powers of 1024), nothing after it. Fractions are rounded to the nearest byte, half up.
     *
     * @return the size in bytes, {@link #SIZE_INVALID}, or {@link #SIZE_OUT_OF_RANGE} when it is 2^63 or more
     */
    public static long parseSize(String text) {
        int n = text.length();
        int i = 0;
        while (i < n && " \t\n\u000b\f\r".indexOf(text.charAt(i)) >= 0) {
            i++;
        }
        if (i < n && text.charAt(i) == '+') {
            i++;
        }
        // '-' is refused by QEMU whether strtoull accepts it or not
        int digits = i;
        boolean hex = false;
        if (i + 1 < n && text.charAt(i) == '0' && (text.charAt(i + 1) == 'x' || text.charAt(i + 1) == 'X')
                && i + 2 < n && hexDigit(text.charAt(i + 2))) {
            hex = true;
            i += 2;
            digits = i;
            while (i < n && hexDigit(text.charAt(i))) {
                i++;
            }
        } else {
            while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                i++;
            }
        }
        if (i == digits) {
            return SIZE_INVALID;
        }
        java.math.BigInteger val = new java.math.BigInteger(text.substring(digits, i), hex ? 16 : 10);
        if (val.compareTo(TWO_64) >= 0) {
            // QEMU's strtoull overflow: out of range, unless more text follows the digits
            return i == n ? SIZE_OUT_OF_RANGE : SIZE_INVALID;
        }
        java.math.BigInteger fraction = java.math.BigInteger.ZERO; // the fraction in 64.64 fixed point
        if (hex && i < n && text.charAt(i) == '.') {
            return SIZE_INVALID;
        }
        if (!hex && i < n && text.charAt(i) == '.') {
            int f = ++i;
            while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                i++;
            }
            if (i > f) {
                int e = i;
                if (e < n && (text.charAt(e) == 'e' || text.charAt(e) == 'E')) {
                    int x = e + 1;
                    if (x < n && (text.charAt(x) == '+' || text.charAt(x) == '-')) {
                        x++;
                    }
                    if (x < n && text.charAt(x) >= '0' && text.charAt(x) <= '9') {
                        return SIZE_INVALID; // an exponent makes the whole text invalid
                    }
                }
                // as QEMU: the fraction as a double, scaled to 2^64 and truncated
                double d = Double.parseDouble("0." + text.substring(f, i));
                fraction = new java.math.BigDecimal(d).multiply(new java.math.BigDecimal(TWO_64)).toBigInteger()
                        .min(TWO_64.subtract(java.math.BigInteger.ONE));
            }
            // "1." and "1.k" are accepted: no fraction digits, no fraction
        }
        int shift = 0;
        if (i < n) {
            shift = switch (text.charAt(i)) {
                case 'b', 'B' -> 0;
                case 'k', 'K' -> 10;
                case 'm', 'M' -> 20;
                case 'g', 'G' -> 30;
                case 't', 'T' -> 40;
                case 'p', 'P' -> 50;
                case 'e', 'E' -> 60;
                default -> -1;
            };
            if (shift < 0) {
                return SIZE_INVALID;
            }
            i++;
        }
        if (i != n) {
            return SIZE_INVALID;
        }
        if (shift == 0 && fraction.signum() != 0) {
            return SIZE_INVALID; // a fraction needs a scale
        }
        // 64.64 fixed point times 2^shift, rounded half up to whole bytes
        java.math.BigInteger fixed = val.shiftLeft(64).add(fraction).shiftLeft(shift);
        java.math.BigInteger bytes = fixed.add(java.math.BigInteger.ONE.shiftLeft(63)).shiftRight(64);
        if (shift == 0) {
            bytes = val;
        }
        return bytes.bitLength() > 63 ? SIZE_OUT_OF_RANGE : bytes.longValueExact();
    }

    private static boolean hexDigit(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /** True when {@code text} is a hex number with a suffix, which qemu-img accepts with a deprecation warning. */
    public static boolean hexWithSuffix(String text) {
        String t = text.strip();
        if (t.startsWith("+")) {
            t = t.substring(1);
        }
        return (t.startsWith("0x") || t.startsWith("0X")) && !t.isEmpty()
                && "bBkKmMgGtTpPeE".indexOf(t.charAt(t.length() - 1)) >= 0 && !hexDigit(t.charAt(t.length() - 1));
    }

    public static boolean parseBool(String key, String v) throws ImageException {
        return switch (v) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new ImageException("Parameter '" + key + "' expects 'on' or 'off'");
        };
    }

    /**
     * A QemuOpts number: C's strtoull with base 0 (white space, a sign, 0x hex, 0 octal), as a signed
     * 64-bit value the way qemu-img prints it.
     */
    public static long numberValue(String key, String value) throws ImageException {
        String t = value.stripLeading();
        boolean negative = false;
        if (t.startsWith("+") || t.startsWith("-")) {
            negative = t.charAt(0) == '-';
            t = t.substring(1);
        }
        int radix = 10;
        if ((t.startsWith("0x") || t.startsWith("0X")) && t.length() > 2) {
            radix = 16;
            t = t.substring(2);
        } else if (t.startsWith("0") && t.length() > 1) {
            radix = 8;
            t = t.substring(1);
        }
        java.math.BigInteger v;
        try {
            v = new java.math.BigInteger(t, radix);
        } catch (NumberFormatException e) {
            throw new ImageException("Parameter '" + key + "' expects a number");
        }
        if (t.startsWith("+") || t.startsWith("-")) {
            throw new ImageException("Parameter '" + key + "' expects a number");
        }
        if (v.compareTo(TWO_64) >= 0) {
            throw new ImageException("Value '" + value + "' is too large for parameter '" + key + "'");
        }
        return negative ? v.negate().longValue() : v.longValue();
    }

    public static long sizeValue(String key, String value) throws ImageException {
        long s = parseSize(value);
        if (s == SIZE_OUT_OF_RANGE) {
            throw new ImageException("Value '" + value + "' is out of range for parameter '" + key + "'");
        }
        if (s < 0) {
            throw new ImageException("Parameter '" + key + "' expects a non-negative number below 2^64");
        }
        return s;
    }
}
