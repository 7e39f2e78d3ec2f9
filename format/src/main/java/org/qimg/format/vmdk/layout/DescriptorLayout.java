package org.qimg.format.vmdk.layout;

import java.util.List;
import java.util.Set;

/**
 * Facts of a VMDK text descriptor ("Virtual Disk Format 5.0", "The Descriptor File"), for reading and for
 * writing: header keys, the {@code createType} values, the disk database ({@code ddb.*}) keys and the adapter
 * types, as VMware and QEMU spell them; where and how much of a descriptor QEMU 7.2 reads, and its probe. An
 * embedded descriptor (in a sparse extent) is stored in {@link #EMBEDDED_SECTORS} sectors from sector 1. The
 * extent lines are {@link ExtentLine}.
 */
public final class DescriptorLayout {
    private DescriptorLayout() {
    }

    public static final String FIRST_LINE = "# Disk DescriptorFile";
    public static final String VERSION = "version";
    public static final String ENCODING = "encoding";
    public static final String CID = "CID";
    public static final String PARENT_CID = "parentCID";
    public static final String CREATE_TYPE = "createType";
    public static final String PARENT_FILE_NAME_HINT = "parentFileNameHint";

    /** The CID value meaning "no parent" ({@code parentCID=ffffffff}). */
    public static final long NO_PARENT_CID = 0xffffffffL;

    public static final String DDB_LONG_CONTENT_ID = "ddb.longContentID";
    public static final String DDB_VIRTUAL_HW_VERSION = "ddb.virtualHWVersion";
    public static final String DDB_CYLINDERS = "ddb.geometry.cylinders";
    public static final String DDB_HEADS = "ddb.geometry.heads";
    public static final String DDB_SECTORS = "ddb.geometry.sectors";
    public static final String DDB_ADAPTER_TYPE = "ddb.adapterType";
    public static final String DDB_TOOLS_INSTALL_TYPE = "ddb.toolsInstallType";
    public static final String DDB_TOOLS_VERSION = "ddb.toolsVersion";

    public static final String MONOLITHIC_SPARSE = "monolithicSparse";
    public static final String MONOLITHIC_FLAT = "monolithicFlat";
    public static final String TWO_GB_SPARSE = "twoGbMaxExtentSparse";
    public static final String TWO_GB_FLAT = "twoGbMaxExtentFlat";
    public static final String STREAM_OPTIMIZED = "streamOptimized";
    public static final String VMFS = "vmfs";
    public static final String VMFS_SPARSE = "vmfsSparse";
    public static final String SE_SPARSE = "seSparse";
    /** The {@code createType} values QEMU 7.2 creates (its {@code subformat} option), in its order. */
    public static final List<String> CREATABLE =
            List.of(MONOLITHIC_SPARSE, MONOLITHIC_FLAT, TWO_GB_SPARSE, TWO_GB_FLAT, STREAM_OPTIMIZED);
    /**
     * The create types of a descriptor file QEMU 7.2 opens (a sparse extent opened as an image is
     * {@link #MONOLITHIC_SPARSE}, or {@link #STREAM_OPTIMIZED} with compressed grains).
     */
    public static final Set<String> FILE_CREATE_TYPES =
            Set.of(MONOLITHIC_FLAT, VMFS, VMFS_SPARSE, SE_SPARSE, TWO_GB_SPARSE, TWO_GB_FLAT);

    /** The {@code ddb.adapterType} values QEMU 7.2 accepts (its {@code adapter_type} option). */
    public static final List<String> ADAPTER_TYPES = List.of("ide", "buslogic", "lsilogic", "legacyESX");

    /** Sectors per track of the geometry QEMU and VMware write. */
    public static final int GEOMETRY_SECTORS = 63;
    /** Heads of an IDE disk's geometry; other adapters get {@link #HEADS_SCSI}. */
    public static final int HEADS_IDE = 16;
    public static final int HEADS_SCSI = 255;

    /** Sectors reserved for a descriptor embedded in a sparse extent (QEMU and VMware both use 20). */
    public static final int EMBEDDED_SECTORS = 20;
    /** The sector an embedded descriptor starts at. */
    public static final int EMBEDDED_OFFSET = 1;

    /**
     * QEMU reads a descriptor (a descriptor file, or the descriptor embedded in a sparse extent) up to this
     * many bytes, 1 MiB - 1; anything after is ignored.
     */
    public static final int MAX_BYTES = (1 << 20) - 1;
    /** The CID, parentCID and parentFileNameHint are looked for in the first 20 sectors only. */
    public static final int KEYS_BYTES = 20 * SparseLayout.SECTOR;
    /**
     * Where QEMU looks for the CIDs of a sparse extent opened as an image: the embedded descriptor's sector
     * ({@link #EMBEDDED_OFFSET}), not the header's field.
     */
    public static final long EMBEDDED_KEYS_OFFSET = (long) EMBEDDED_OFFSET * SparseLayout.SECTOR;
    /** The longest extent file name QEMU reads (its {@code fname[512]}). */
    public static final int MAX_FILE_NAME = 511;

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
