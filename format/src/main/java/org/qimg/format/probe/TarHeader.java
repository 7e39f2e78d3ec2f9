package org.qimg.format.probe;

/**
 * The first header block of a tar archive (an OVA is one): the magic at offset 257 is POSIX "ustar\0" with
 * version "00", or old GNU "ustar  \0"; and the octal checksum at offset 148 (8 bytes) equals the sum of all
 * 512 header bytes with the checksum field counted as eight spaces.
 */
final class TarHeader {
    private static final int CHECKSUM_OFFSET = 148;

    private TarHeader() {
    }

    static boolean valid(ProbeBytes b) {
        byte[] h = b.head();
        if (b.size() < 512 || !(ProbeBytes.at(h, 257, "ustar\u000000") || ProbeBytes.at(h, 257, "ustar  \0"))) {
            return false;
        }
        long stored = octal(h, CHECKSUM_OFFSET, 8);
        return stored >= 0 && stored == checksum(h);
    }

    static long checksum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + 8 ? ' ' : h[i] & 0xff;
        }
        return sum;
    }

    /** An octal number: leading spaces, digits, then NUL or space (or the field's end); -1 if malformed. */
    private static long octal(byte[] h, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && h[i] == ' ') {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && h[i] >= '0' && h[i] <= '7') {
            v = v * 8 + (h[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || (i < end && h[i] != 0 && h[i] != ' ')) {
            return -1;
        }
        return v;
    }
}
