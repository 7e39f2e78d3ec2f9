package org.qimg.format.probe;

/**
 * QEMU 7.2's test for a VMDK text descriptor (block/vmdk.c, vmdk_probe): from the start of the probe
 * buffer, skip lines that begin with '#' and lines of spaces only (optionally ending in "\r"); the first
 * other line must be exactly "version=1", "version=2" or "version=3", ended by "\n" or "\r\n".
 */
final class VmdkDescriptor {
    private VmdkDescriptor() {
    }

    static boolean matches(byte[] buf) {
        int p = 0;
        int end = buf.length;
        while (p < end) {
            if (buf[p] == '#') {
                while (p < end && buf[p] != '\n') {
                    p++;
                }
                p++;
                continue;
            }
            if (buf[p] == ' ') {
                while (p < end && buf[p] == ' ') {
                    p++;
                }
                if (p < end && buf[p] == '\r') {
                    p++;
                }
                if (p == end || buf[p] != '\n') {
                    return false;
                }
                p++;
                continue;
            }
            return versionLine(buf, p);
        }
        return false;
    }

    private static boolean versionLine(byte[] buf, int p) {
        for (char v = '1'; v <= '3'; v++) {
            if (ProbeBytes.at(buf, p, "version=" + v + "\n") || ProbeBytes.at(buf, p, "version=" + v + "\r\n")) {
                return true;
            }
        }
        return false;
    }
}
