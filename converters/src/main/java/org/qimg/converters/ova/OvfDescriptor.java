package org.qimg.converters.ova;

import org.qimg.converters.ova.OvaSettings.Controller;

/**
 * The OVF descriptor of a one-disk virtual machine (DMTF DSP0243, 1.x or 2.0 envelope), laid out as VMware's
 * exports are: References (the disk file and its size), DiskSection (capacity in bytes, populated size,
 * VMware's streamOptimized format URI), NetworkSection when there is a network, then one VirtualSystem with
 * its OperatingSystemSection and VirtualHardwareSection. Items list their rasd elements in the schema's
 * (alphabetical) order; VMware's own settings ({@code vmw:Config}: firmware) follow the items.
 */
final class OvfDescriptor {
    static final String RASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    static final String VSSD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
    static final String VMW = "http://www.vmware.com/schema/ovf";
    static final String CIM = "http://schemas.dmtf.org/wbem/wscim/1/common";
    static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";
    /** VMware's format URI for a streamOptimized VMDK; the one ovftool, vSphere and VirtualBox expect. */
    static final String STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";

    /** CIM resource types (CIM_ResourceAllocationSettingData.ResourceType). */
    static final int PROCESSOR = 3;
    static final int MEMORY = 4;
    static final int ETHERNET = 10;
    static final int DISK_DRIVE = 17;

    private static final int CONTROLLER_ID = 3;

    private final StringBuilder out = new StringBuilder(4096);
    private int depth;

    private OvfDescriptor() {
    }

    /** The descriptor for {@code s} and a disk file {@code diskFile} of {@code fileSize} bytes holding {@code disk}. */
    static String of(OvaSettings s, String diskFile, long fileSize, DiskFacts disk) {
        OvfDescriptor d = new OvfDescriptor();
        d.write(s, diskFile, fileSize, disk);
        return d.out.toString();
    }

    private void write(OvaSettings s, String diskFile, long fileSize, DiskFacts disk) {
        String ns = s.ovfVersion().namespace;
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        open("Envelope" + (s.ovfVersion() == OvaSettings.OvfVersion.V2 ? attr("ovf:version", "2.0") : "")
                + attr("xmlns", ns) + attr("xmlns:cim", CIM) + attr("xmlns:ovf", ns) + attr("xmlns:rasd", RASD)
                + attr("xmlns:vmw", VMW) + attr("xmlns:vssd", VSSD) + attr("xmlns:xsi", XSI));
        open("References");
        empty("File" + attr("ovf:href", diskFile) + attr("ovf:id", "file1") + attr("ovf:size", fileSize));
        close("References");
        open("DiskSection");
        text("Info", "Virtual disk information");
        empty("Disk" + attr("ovf:capacity", disk.capacity()) + attr("ovf:capacityAllocationUnits", "byte")
                + attr("ovf:diskId", "vmdisk1") + attr("ovf:fileRef", "file1") + attr("ovf:format", STREAM_OPTIMIZED)
                + attr("ovf:populatedSize", disk.populatedSize()));
        close("DiskSection");
        if (s.network() != null) {
            open("NetworkSection");
            text("Info", "The list of logical networks");
            open("Network" + attr("ovf:name", s.network()));
            text("Description", "The " + s.network() + " network");
            close("Network");
            close("NetworkSection");
        }
        open("VirtualSystem" + attr("ovf:id", s.name()));
        text("Info", "A virtual machine");
        text("Name", s.name());
        open("OperatingSystemSection" + attr("ovf:id", s.osId()) + attr("vmw:osType", s.osType()));
        text("Info", "The kind of installed guest operating system");
        close("OperatingSystemSection");
        hardware(s);
        close("VirtualSystem");
        close("Envelope");
    }

    private void hardware(OvaSettings s) {
        open("VirtualHardwareSection");
        text("Info", "Virtual hardware requirements");
        open("System");
        text("vssd:ElementName", "Virtual Hardware Family");
        text("vssd:InstanceID", "0");
        text("vssd:VirtualSystemIdentifier", s.name());
        text("vssd:VirtualSystemType", "vmx-" + (s.hwVersion() < 10 ? "0" : "") + s.hwVersion());
        close("System");

        open("Item");
        text("rasd:AllocationUnits", "hertz * 10^6");
        text("rasd:Description", "Number of Virtual CPUs");
        text("rasd:ElementName", s.cpus() + " virtual CPU(s)");
        text("rasd:InstanceID", "1");
        text("rasd:ResourceType", Integer.toString(PROCESSOR));
        text("rasd:VirtualQuantity", Integer.toString(s.cpus()));
        close("Item");

        open("Item");
        text("rasd:AllocationUnits", "byte * 2^20");
        text("rasd:Description", "Memory Size");
        text("rasd:ElementName", s.memoryMiB() + "MB of memory");
        text("rasd:InstanceID", "2");
        text("rasd:ResourceType", Integer.toString(MEMORY));
        text("rasd:VirtualQuantity", Long.toString(s.memoryMiB()));
        close("Item");

        Controller c = s.controller();
        boolean ide = c == Controller.IDE;
        open("Item");
        text("rasd:Address", "0");
        text("rasd:Description", ide ? "IDE Controller" : "SCSI Controller");
        text("rasd:ElementName", ide ? "VirtualIDEController 0" : "SCSI Controller 0");
        text("rasd:InstanceID", Integer.toString(CONTROLLER_ID));
        if (c.subType != null) {
            text("rasd:ResourceSubType", c.subType);
        }
        text("rasd:ResourceType", Integer.toString(c.resourceType));
        close("Item");

        open("Item");
        text("rasd:AddressOnParent", "0");
        text("rasd:ElementName", "Hard Disk 1");
        text("rasd:HostResource", "ovf:/disk/vmdisk1");
        text("rasd:InstanceID", "4");
        text("rasd:Parent", Integer.toString(CONTROLLER_ID));
        text("rasd:ResourceType", Integer.toString(DISK_DRIVE));
        close("Item");

        if (s.network() != null) {
            open("Item");
            text("rasd:AddressOnParent", "7");
            text("rasd:AutomaticAllocation", "true");
            text("rasd:Connection", s.network());
            text("rasd:Description", s.nic().subType + " ethernet adapter on \"" + s.network() + "\"");
            text("rasd:ElementName", "Ethernet 1");
            text("rasd:InstanceID", "5");
            text("rasd:ResourceSubType", s.nic().subType);
            text("rasd:ResourceType", Integer.toString(ETHERNET));
            close("Item");
        }
        empty("vmw:Config" + attr("ovf:required", "false") + attr("vmw:key", "firmware")
                + attr("vmw:value", s.firmware() == OvaSettings.Firmware.EFI ? "efi" : "bios"));
        close("VirtualHardwareSection");
    }

    private void indent() {
        out.append("  ".repeat(depth));
    }

    private void open(String tagAndAttrs) {
        indent();
        out.append('<').append(tagAndAttrs).append(">\n");
        depth++;
    }

    private void close(String tag) {
        depth--;
        indent();
        out.append("</").append(tag).append(">\n");
    }

    private void empty(String tagAndAttrs) {
        indent();
        out.append('<').append(tagAndAttrs).append("/>\n");
    }

    private void text(String tag, String value) {
        indent();
        out.append('<').append(tag).append('>').append(escape(value)).append("</").append(tag).append(">\n");
    }

    private static String attr(String name, Object value) {
        return " " + name + "=\"" + escape(String.valueOf(value)) + "\"";
    }

    /** XML escaping for text and double-quoted attribute values. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
