package org.qimg.format.probe;

/**
 * A VHD footer (Microsoft's VHD specification, "Hard Disk Footer Format"): the last 512 bytes of every VHD,
 * and all a fixed VHD has besides the disk itself. It starts with the cookie "conectix"; the big-endian
 * checksum at offset 64 is the ones' complement of the sum of all footer bytes, the checksum's own four
 * bytes counted as zero. Both must hold, so that a raw disk whose last sector merely contains the word is
 * not mistaken for a VHD.
 */
final class VhdFooter {
    static final int CHECKSUM_OFFSET = 64;

    private VhdFooter() {
    }

    static boolean valid(byte[] footer) {
        return ProbeBytes.at(footer, 0, "conectix") && ProbeBytes.be32(footer, CHECKSUM_OFFSET) == checksum(footer);
    }

    /** The checksum the footer should carry. */
    static long checksum(byte[] footer) {
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            if (i < CHECKSUM_OFFSET || i >= CHECKSUM_OFFSET + 4) {
                sum += footer[i] & 0xff;
            }
        }
        return ~sum & 0xffffffffL;
    }
}
