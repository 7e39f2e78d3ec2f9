package org.qimg.converters.trace;

import java.util.Locale;

/**
 * Byte counts as users and qemu-img write them: decimal or {@code 0x} hex, with an optional binary
 * suffix {@code k}, {@code M}, {@code G}, {@code T} (case-insensitive, optionally followed by {@code iB}
 * or {@code B}): {@code 4096}, {@code 0x1000}, {@code 4k}, {@code 1G}, {@code 2MiB}.
 */
public final class Sizes {
    private Sizes() {
    }

    /**
     * Parses a non-negative byte count.
     *
     * @throws IllegalArgumentException with a message saying what was expected, when the text is not one
     *                                  or the value does not fit in a signed 64-bit count
     */
    public static long parse(String text) {
        String t = text.trim();
        String lower = t.toLowerCase(Locale.ROOT);
        boolean hex = lower.startsWith("0x");
        int end = lower.length();
        boolean needUnit = false;
        if (lower.endsWith("ib")) {
            end -= 2;
            needUnit = true;
        } else if (lower.endsWith("b") && (!hex || (end > 3 && "kmgt".indexOf(lower.charAt(end - 2)) >= 0))) {
            end -= 1;
        }
        int shift = 0;
        int unit = end > 0 ? "kmgt".indexOf(lower.charAt(end - 1)) : -1;
        if (unit >= 0) {
            shift = 10 * (unit + 1);
            end--;
        } else if (needUnit) {
            throw bad(text);
        }
        String digits = lower.substring(0, end);
        long value;
        try {
            if (hex) {
                String h = digits.substring(2);
                if (h.isEmpty() || !h.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    throw bad(text);
                }
                value = Long.parseUnsignedLong(h, 16);
                if (value < 0) {
                    throw new IllegalArgumentException("size too large: '" + text + "'");
                }
            } else {
                if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw bad(text);
                }
                value = Long.parseLong(digits);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        if (shift > 0 && value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        return value << shift;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("expected a byte count (decimal or 0x hex, optional k/M/G/T suffix),"
                + " found '" + text + "'");
    }
}
