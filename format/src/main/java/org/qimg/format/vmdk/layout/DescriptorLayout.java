package org.qimg.format.vmdk.layout;

import java.util.Set;

/**
 * Facts of a VMDK text descriptor ("Virtual Disk Format 5.0", "The Descriptor File"), as QEMU 7.2 reads
 * them: the key names it looks for, where and how much of the descriptor it reads, and the create types a
 * descriptor file may have. The extent lines are {@link ExtentLine}.
 */
public final class DescriptorLayout {
    private DescriptorLayout() {
    }

    public static final String KEY_CID = "CID";
    public static final String KEY_PARENT_CID = "parentCID";
    public static final String KEY_CREATE_TYPE = "createType";
    public static final String KEY_PARENT_HINT = "parentFileNameHint";

    /** The CID value meaning "no parent" ({@code parentCID=ffffffff}). */
    public static final long CID_NONE = 0xffffffffL;

    /**
     * QEMU reads a descriptor (a descriptor file, or the descriptor embedded in a sparse extent) up to this
     * many bytes, 1 MiB - 1; anything after is ignored.
     */
    public static final int MAX_BYTES = (1 << 20) - 1;
    /** The CID, parentCID and parentFileNameHint are looked for in the first 20 sectors only. */
    public static final int KEYS_BYTES = 20 * SparseLayout.SECTOR;
    /** Where QEMU looks for the CIDs of a sparse extent opened as an image: sector 1, not the header's field. */
    public static final long EMBEDDED_KEYS_OFFSET = SparseLayout.SECTOR;
    /** The longest extent file name QEMU reads (its {@code fname[512]}). */
    public static final int MAX_FILE_NAME = 511;

    /** The create types of a descriptor file QEMU 7.2 opens. */
    public static final Set<String> FILE_CREATE_TYPES = Set.of("monolithicFlat", "vmfs", "vmfsSparse", "seSparse",
            "twoGbMaxExtentSparse", "twoGbMaxExtentFlat");
    /** The create type of a sparse extent opened as an image, and of one with compressed grains. */
    public static final String MONOLITHIC_SPARSE = "monolithicSparse";
    public static final String STREAM_OPTIMIZED = "streamOptimized";

    /**
     * QEMU 7.2's test for a text descriptor (vmdk_probe): from the start of {@code buf}, skip lines that begin
     * with '#' and lines of spaces only (optionally ending in "\r"); the first other line must be exactly
     * "version=1", "version=2" or "version=3", ended by "\n" or "\r\n".
     */
    public static boolean probe(byte[] buf) {
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
            if (at(buf, p, "version=" + v + "\n") || at(buf, p, "version=" + v + "\r\n")) {
                return true;
            }
        }
        return false;
    }

    private static boolean at(byte[] buf, int off, String text) {
        if (text.length() > buf.length - off) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (buf[off + i] != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
