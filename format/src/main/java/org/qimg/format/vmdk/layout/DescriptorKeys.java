package org.qimg.format.vmdk.layout;

import java.util.List;

/**
 * The words of a VMDK text descriptor ("Virtual Disk Format 5.0", "The Descriptor File"): header keys, the
 * {@code createType} values, the disk database ({@code ddb.*}) keys and the adapter types, as VMware and QEMU
 * spell them. An embedded descriptor (in a sparse extent) is stored in {@link #EMBEDDED_SECTORS} sectors from
 * sector 1.
 */
public final class DescriptorKeys {
    private DescriptorKeys() {
    }

    public static final String FIRST_LINE = "# Disk DescriptorFile";
    public static final String VERSION = "version";
    public static final String ENCODING = "encoding";
    public static final String CID = "CID";
    public static final String PARENT_CID = "parentCID";
    public static final String CREATE_TYPE = "createType";
    public static final String PARENT_FILE_NAME_HINT = "parentFileNameHint";

    /** {@code parentCID} of a disk without a parent. */
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
    /** The {@code createType} values QEMU 7.2 creates (its {@code subformat} option), in its order. */
    public static final List<String> CREATABLE =
            List.of(MONOLITHIC_SPARSE, MONOLITHIC_FLAT, TWO_GB_SPARSE, TWO_GB_FLAT, STREAM_OPTIMIZED);

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
}
