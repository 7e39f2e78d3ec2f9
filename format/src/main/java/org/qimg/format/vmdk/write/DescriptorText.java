package org.qimg.format.vmdk.write;

import static org.qimg.format.vmdk.layout.DescriptorLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;
import org.qimg.format.vmdk.layout.ExtentLine;
import org.qimg.format.vmdk.layout.SparseLayout;

/**
 * The text descriptor of a new image, in one of two dialects:
 * <ul>
 *   <li>{@link #qemu}: exactly the text qemu-img 7.2 writes (monolithicSparse and monolithicFlat), so that
 *       qimg's images equal qemu-img's byte for byte apart from the CID;</li>
 *   <li>{@link #vmware}: the text VMware's {@code vmdk-convert} (vmware/open-vmdk) writes for a
 *       streamOptimized disk: an {@code encoding} line, {@code ddb.longContentID},
 *       {@code ddb.toolsInstallType}, and SCSI geometry by default.</li>
 * </ul>
 */
final class DescriptorText {
    private DescriptorText() {
    }

    /** {@code ddb.toolsInstallType} that vmdk-convert writes: 4, "open-vm-tools (unmanaged)". */
    static final String TOOLS_INSTALL_TYPE = "4";
    /** vmdk-convert's adapter type (QEMU's default is ide). */
    static final String VMWARE_ADAPTER = "lsilogic";
    private static final long MAX_CYLINDERS = 65535;

    /**
     * QEMU's text: {@code cid} and the extent line are the only parts that depend on more than the options;
     * {@code extents} is empty for a flat image of size 0 (QEMU creates no extent then).
     */
    static String qemu(VmdkCreateOptions o, long cid, java.util.List<ExtentLine> extents) {
        String adapter = o.adapterType() == null ? "ide" : o.adapterType();
        int heads = adapter.equals("ide") ? HEADS_IDE : HEADS_SCSI;
        long cylinders = o.capacitySectors() * 512 / ((long) GEOMETRY_SECTORS * heads * 512);
        return FIRST_LINE + "\n"
                + VERSION + "=1\n"
                + CID + "=" + Long.toHexString(cid) + "\n"
                + PARENT_CID + "=" + Long.toHexString(NO_PARENT_CID) + "\n"
                + CREATE_TYPE + "=\"" + o.subformat() + "\"\n"
                + "\n"
                + "# Extent description\n"
                + extents.stream().map(e -> e.format() + "\n").collect(java.util.stream.Collectors.joining())
                + "\n"
                + "# The Disk Data Base\n"
                + "#DDB\n"
                + "\n"
                + ddb(DDB_VIRTUAL_HW_VERSION, o.hwVersion())
                + ddb(DDB_CYLINDERS, Long.toString(cylinders))
                + ddb(DDB_HEADS, Integer.toString(heads))
                + ddb(DDB_SECTORS, Integer.toString(GEOMETRY_SECTORS))
                + ddb(DDB_ADAPTER_TYPE, adapter)
                + ddb(DDB_TOOLS_VERSION, o.toolsVersion());
    }

    /**
     * vmdk-convert's text for a streamOptimized disk, with qemu-img's options applied (hwversion, adapter_type,
     * toolsversion). {@code contentId} fills {@code ddb.longContentID} (vmdk-convert: three random words and the
     * CID; qimg: words derived from the content, so that equal input gives equal output).
     */
    static String vmware(VmdkCreateOptions o, long cid, int[] contentId, ExtentLine extent) {
        String adapter = o.adapterType() == null ? VMWARE_ADAPTER : o.adapterType();
        int heads = adapter.equals("ide") ? HEADS_IDE : HEADS_SCSI;
        long perCylinder = (long) heads * GEOMETRY_SECTORS;
        long cylinders = Math.min(MAX_CYLINDERS, (o.capacitySectors() + perCylinder - 1) / perCylinder);
        return FIRST_LINE + "\n"
                + VERSION + "=1\n"
                + ENCODING + "=\"UTF-8\"\n"
                + CID + "=" + String.format("%08x", cid) + "\n"
                + PARENT_CID + "=" + Long.toHexString(NO_PARENT_CID) + "\n"
                + CREATE_TYPE + "=\"" + o.subformat() + "\"\n"
                + "\n"
                + "# Extent description\n"
                + extent.format() + "\n"
                + "\n"
                + "# The Disk Data Base\n"
                + "#DDB\n"
                + "\n"
                + ddb(DDB_LONG_CONTENT_ID, String.format("%08x%08x%08x%08x", contentId[0], contentId[1], contentId[2],
                        contentId[3]))
                + ddb(DDB_VIRTUAL_HW_VERSION, o.hwVersion())
                + ddb(DDB_CYLINDERS, Long.toString(cylinders))
                + ddb(DDB_HEADS, Integer.toString(heads))
                + ddb(DDB_SECTORS, Integer.toString(GEOMETRY_SECTORS))
                + ddb(DDB_ADAPTER_TYPE, adapter)
                + ddb(DDB_TOOLS_INSTALL_TYPE, TOOLS_INSTALL_TYPE)
                + ddb(DDB_TOOLS_VERSION, o.toolsVersion());
    }

    private static String ddb(String key, String value) {
        return key + " = \"" + value + "\"\n";
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The extent line of an image whose descriptor is embedded: one sparse extent, the image file itself. */
    static ExtentLine ownExtent(Path path, long capacity) {
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        return new ExtentLine("RW", capacity, "SPARSE", name, 0);
    }

    /**
     * Writes {@code text} into the descriptor sectors of the sparse extent {@code path} (from
     * {@link DescriptorLayout#EMBEDDED_OFFSET}); fails if it is longer than they hold.
     */
    static void writeEmbedded(FileChannel channel, Path path, String text) throws IOException {
        byte[] bytes = bytes(text);
        int room = EMBEDDED_SECTORS * SparseLayout.SECTOR;
        if (bytes.length > room) {
            throw new ImageException("'" + path + "': the vmdk descriptor is " + bytes.length + " bytes, more than the "
                    + room + " its sectors hold");
        }
        Positional.writeFully(channel, ByteBuffer.wrap(bytes), (long) EMBEDDED_OFFSET * SparseLayout.SECTOR);
    }
}
