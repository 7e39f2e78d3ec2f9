package org.qimg.format.vmdk.read;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.vmdk.layout.DescriptorLayout;
import org.qimg.format.vmdk.layout.ExtentLine;

/**
 * Reads a VMDK text descriptor the way QEMU 7.2 does (block/vmdk.c): the text ends at its first NUL byte;
 * keys are found by substring search ({@code strstr}), values read as QEMU's {@code sscanf} reads them.
 * One deliberate difference: QEMU's extent parser, started on a blank line, skips the line end and parses
 * the next line a second time (so an extent after a blank line counts twice); qimg reads every line once.
 */
final class DescriptorText {
    /** The extent types QEMU opens; other types, and extents not {@code RW}, are skipped. */
    private static final Set<String> OPENED_TYPES = Set.of("FLAT", "SPARSE", "VMFS", "VMFSSPARSE", "SESPARSE");
    private static final int TOKEN = 10;

    private final String text;
    private final String file;

    /** {@code raw} as stored (ISO-8859-1), cut at its first NUL byte as QEMU's string functions see it. */
    DescriptorText(byte[] raw, int length, String file) {
        int end = 0;
        while (end < length && raw[end] != 0) {
            end++;
        }
        this.text = new String(raw, 0, end, StandardCharsets.ISO_8859_1);
        this.file = file;
    }

    String text() {
        return text;
    }

    /**
     * The create type (QEMU's vmdk_parse_description): after the first "createType", two characters are
     * skipped (normally {@code ="}) and the value runs to the next double quote.
     */
    String createType() throws ImageException {
        String key = DescriptorLayout.CREATE_TYPE;
        int at = text.indexOf(key);
        int from = at + key.length() + 2;
        int close = at < 0 || from >= text.length() ? -1 : text.indexOf('"', from);
        if (close < 0 || close - from + 1 > 128) {
            throw new CorruptImageException(file, -1, "invalid VMDK image descriptor (no createType=\"...\")");
        }
        String ct = text.substring(from, close);
        if (!DescriptorLayout.FILE_CREATE_TYPES.contains(ct)) {
            throw new UnsupportedFeatureException(file + ": Unsupported image type '" + ct + "'");
        }
        if (ct.equals(DescriptorLayout.SE_SPARSE)) {
            throw new UnsupportedFeatureException(file + ": seSparse VMDK images are not supported by qimg");
        }
        return ct;
    }

    /**
     * A CID (QEMU's vmdk_read_cid): after the first occurrence of "CID" (or "parentCID"), one character is
     * skipped and a hexadecimal number is read as {@code sscanf("%x")} reads it; only the low 32 bits count.
     */
    long cid(boolean parent) throws ImageException {
        String key = parent ? DescriptorLayout.PARENT_CID : DescriptorLayout.CID;
        int at = text.indexOf(key);
        int p = at < 0 ? -1 : at + key.length() + 1;
        if (p < 0 || p > text.length()) {
            throw noCid(key);
        }
        while (p < text.length() && isSpace(text.charAt(p))) {
            p++;
        }
        if (p < text.length() && (text.charAt(p) == '+' || text.charAt(p) == '-')) {
            throw noCid(key); // qimg refuses signs, which %x would take
        }
        if (p + 1 < text.length() && text.charAt(p) == '0' && (text.charAt(p + 1) | 0x20) == 'x'
                && p + 2 < text.length() && Character.digit(text.charAt(p + 2), 16) >= 0) {
            p += 2;
        }
        long v = 0;
        int digits = 0;
        while (p < text.length() && Character.digit(text.charAt(p), 16) >= 0) {
            v = (v << 4) | Character.digit(text.charAt(p), 16);
            p++;
            digits++;
        }
        if (digits == 0) {
            throw noCid(key);
        }
        return v & 0xffffffffL;
    }

    private ImageException noCid(String key) {
        return new CorruptImageException(file, -1, "Invalid argument: the descriptor has no valid " + key
                + "=<hex> value");
    }

    /**
     * The parent's file name (QEMU's vmdk_parent_open): after the first "parentFileNameHint", two characters
     * are skipped and the name runs to the next double quote; null when there is no such key.
     */
    String parentHint() throws ImageException {
        String key = DescriptorLayout.PARENT_FILE_NAME_HINT;
        int at = text.indexOf(key);
        if (at < 0) {
            return null;
        }
        int from = Math.min(text.length(), at + key.length() + 2);
        int close = text.indexOf('"', from);
        if (close < 0 || close - from > 4095) {
            throw new CorruptImageException(file, -1, "Invalid argument: " + key + " has no closing quote or is"
                    + " longer than 4095 characters");
        }
        return text.substring(from, close);
    }

    /** The extents QEMU opens, in order; lines that are not extent lines QEMU opens are skipped as it skips them. */
    List<ExtentLine> extents() throws ImageException {
        List<ExtentLine> out = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            ExtentLine e = extent(line);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    /** One line as QEMU's {@code sscanf("%10s %ld %10s \"%511[^\n\r\"]\" %ld")} and its rules read it. */
    private ExtentLine extent(String line) throws ImageException {
        Scan s = new Scan(line);
        String access = s.token();
        Long sectors = access == null ? null : s.number();
        String type = sectors == null ? null : s.token();
        String name = type == null ? null : s.quoted();
        if (name == null || !access.equals("RW")) {
            return null; // fewer than four fields, or not read-write: QEMU skips the line
        }
        Long offset = s.closed ? s.number() : null;
        boolean invalid = switch (type) {
            case "FLAT" -> offset == null || offset < 0;
            case "VMFS" -> offset != null;
            default -> offset != null;
        };
        if (invalid) {
            throw new CorruptImageException(file, -1, "Invalid extent line: " + line.strip());
        }
        if (sectors <= 0 || !OPENED_TYPES.contains(type)) {
            return null;
        }
        if (type.equals("SESPARSE")) {
            throw new UnsupportedFeatureException(file + ": seSparse extents are not supported by qimg: "
                    + line.strip());
        }
        return new ExtentLine(access, sectors, type, name, offset == null ? 0 : offset);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }

    /** A cursor over one line with sscanf's conversions. */
    private static final class Scan {
        final String s;
        int p;
        boolean closed;

        Scan(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (p < s.length() && isSpace(s.charAt(p))) {
                p++;
            }
        }

        /** {@code %10s}: up to ten non-space characters, or null. */
        String token() {
            skipSpace();
            int from = p;
            while (p < s.length() && p - from < TOKEN && !isSpace(s.charAt(p))) {
                p++;
            }
            return p == from ? null : s.substring(from, p);
        }

        /** {@code %ld}: an optionally signed decimal number (saturating as strtol does), or null. */
        Long number() {
            skipSpace();
            int q = p;
            boolean neg = false;
            if (q < s.length() && (s.charAt(q) == '+' || s.charAt(q) == '-')) {
                neg = s.charAt(q) == '-';
                q++;
            }
            int digits = q;
            long v = 0;
            boolean overflow = false;
            while (q < s.length() && s.charAt(q) >= '0' && s.charAt(q) <= '9') {
                int d = s.charAt(q) - '0';
                if (v > (Long.MAX_VALUE - d) / 10) {
                    overflow = true;
                } else {
                    v = v * 10 + d;
                }
                q++;
            }
            if (q == digits) {
                return null;
            }
            p = q;
            if (overflow) {
                return neg ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
            return neg ? -v : v;
        }

        /** {@code "%511[^\n\r\"]"}: the name between double quotes; {@link #closed} says whether it closed. */
        String quoted() {
            skipSpace();
            if (p >= s.length() || s.charAt(p) != '"') {
                return null;
            }
            int from = ++p;
            while (p < s.length() && p - from < DescriptorLayout.MAX_FILE_NAME && "\n\r\"".indexOf(s.charAt(p)) < 0) {
                p++;
            }
            if (p == from) {
                return null;
            }
            String name = s.substring(from, p);
            closed = p < s.length() && s.charAt(p) == '"';
            if (closed) {
                p++;
            }
            return name;
        }
    }
}
