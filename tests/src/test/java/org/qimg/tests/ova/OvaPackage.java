package org.qimg.tests.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.qimg.tests.support.Proc;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * An OVA as independent tools see it: GNU {@code tar} lists and unpacks it, {@code sha256sum -c} (or sha1sum,
 * sha512sum) checks its manifest, and the JDK's namespace-aware XML parser reads its descriptor, whose
 * structure is checked against the OVF envelope's rules (DSP0243 / DSP8023: section order, Info first, File,
 * Disk and Item references that resolve, rasd elements in the schema's sequence order).
 */
final class OvaPackage {
    static final String OVF1 = "http://schemas.dmtf.org/ovf/envelope/1";
    static final String OVF2 = "http://schemas.dmtf.org/ovf/envelope/2";
    static final String RASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    static final String VSSD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
    static final String VMW = "http://www.vmware.com/schema/ovf";
    static final String STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";
    /** CIM_ResourceAllocationSettingData's properties in the XSD's sequence order. */
    private static final List<String> RASD_ORDER = List.of("Address", "AddressOnParent", "AllocationUnits",
            "AutomaticAllocation", "AutomaticDeallocation", "Caption", "Connection", "ConsumerVisibility",
            "Description", "ElementName", "HostResource", "InstanceID", "Limit", "MappingBehavior",
            "OtherResourceType", "Parent", "PoolID", "Reservation", "ResourceSubType", "ResourceType",
            "VirtualQuantity", "VirtualQuantityUnits", "Weight");

    /** What the descriptor says, once its structure has been checked. */
    record Descriptor(Document doc, String namespace, String diskHref, long fileSize, long capacity,
                      long populatedSize, String name, Map<String, Element> itemsByType) {
        String rasd(String resourceType, String property) {
            Element item = itemsByType.get(resourceType);
            if (item == null) {
                return null;
            }
            Element e = child(item, RASD, property);
            return e == null ? null : e.getTextContent();
        }

        String vmwConfig(String key) {
            var n = doc.getElementsByTagNameNS(VMW, "Config");
            for (int i = 0; i < n.getLength(); i++) {
                Element e = (Element) n.item(i);
                if (key.equals(e.getAttributeNS(VMW, "key"))) {
                    return e.getAttributeNS(VMW, "value");
                }
            }
            return null;
        }

        String systemType() {
            return doc.getElementsByTagNameNS(VSSD, "VirtualSystemType").item(0).getTextContent();
        }
    }

    private OvaPackage() {
    }

    /** {@code tar tf}: the member names in archive order. */
    static List<String> members(Path ova) {
        return Proc.run(ova.getParent(), "tar", "tf", ova.toString()).requireSuccess().stdoutLines();
    }

    /** {@code tar tvf} lines (mode, owner, size, time, name). */
    static List<String> listing(Path ova) {
        return Proc.run(ova.getParent(), "tar", "--numeric-owner", "-tvf", ova.toString()).requireSuccess()
                .stdoutLines();
    }

    /**
     * Every member's header as Python's tarfile reads it (name, type, mode, uid, gid, user, group, size,
     * mtime, offset of the data), one line per member: an independent reader of the archive.
     */
    static String headers(Path tar) {
        String script = "import sys, tarfile\n"
                + "with tarfile.open(sys.argv[1], 'r:') as t:\n"
                + "    for m in t.getmembers():\n"
                + "        print(m.name, m.type, oct(m.mode), m.uid, m.gid, m.uname, m.gname, m.size, m.mtime,"
                + " m.offset_data)\n";
        return Proc.run(tar.getParent(), "python3", "-c", script, tar.toString()).requireSuccess().stdout();
    }

    /** Unpacks {@code ova} into a new directory {@code into} with GNU tar. */
    static Path extract(Path ova, Path into) throws IOException {
        Files.createDirectories(into);
        Proc.run(into, "tar", "xf", ova.toString()).requireSuccess();
        return into;
    }

    /**
     * Checks every manifest line with the coreutils tool of its algorithm ({@code sha256sum -c} after turning
     * {@code SHA256(f)= h} into {@code h  f}); returns the files it listed. Also checks the line syntax is
     * exactly ovftool's.
     */
    static List<String> verifyManifest(Path dir, String mf) throws IOException {
        Pattern line = Pattern.compile("(SHA1|SHA256|SHA512)\\(([^)]+)\\)= ([0-9a-f]+)");
        List<String> files = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(mf), StandardCharsets.UTF_8)) {
            Matcher m = line.matcher(l);
            assertThat(m.matches()).as("manifest line '%s'", l).isTrue();
            String tool = m.group(1).toLowerCase() + "sum";
            Path check = dir.resolve("check." + tool);
            Files.writeString(check, m.group(3) + "  " + m.group(2) + "\n");
            var r = Proc.run(dir, tool, "-c", check.getFileName().toString());
            assertThat(r.exitCode()).as("%s -c: %s", tool, r.describe()).isZero();
            assertThat(r.stdout()).contains(m.group(2) + ": OK");
            Files.delete(check);
            files.add(m.group(2));
        }
        return files;
    }

    /** Parses {@code dir/ovf} and checks it against the OVF envelope's structure. */
    static Descriptor descriptor(Path dir, String ovf) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(Files.readAllBytes(dir.resolve(ovf))));
        Element env = doc.getDocumentElement();
        assertThat(env.getLocalName()).isEqualTo("Envelope");
        String ns = env.getNamespaceURI();
        assertThat(ns).isIn(OVF1, OVF2);
        List<Element> top = children(env);
        assertThat(top).extracting(Element::getNamespaceURI).containsOnly(ns);
        List<String> names = top.stream().map(Element::getLocalName).toList();
        assertThat(names.get(0)).isEqualTo("References");
        assertThat(names.get(names.size() - 1)).isEqualTo("VirtualSystem");
        assertThat(names.subList(1, names.size() - 1)).isSubsetOf("DiskSection", "NetworkSection");
        assertThat(names).contains("DiskSection");

        List<Element> files = children(top.get(0));
        assertThat(files).hasSize(1);
        Element file = files.get(0);
        assertThat(file.getLocalName()).isEqualTo("File");
        Element diskSection = child(env, ns, "DiskSection");
        infoFirst(diskSection, ns);
        List<Element> disks = children(diskSection).subList(1, children(diskSection).size());
        assertThat(disks).hasSize(1);
        Element disk = disks.get(0);
        assertThat(disk.getAttributeNS(ns, "fileRef")).isEqualTo(file.getAttributeNS(ns, "id"));
        assertThat(disk.getAttributeNS(ns, "format")).isEqualTo(STREAM_OPTIMIZED);
        assertThat(disk.getAttributeNS(ns, "capacityAllocationUnits")).isEqualTo("byte");

        Set<String> networks = new HashSet<>();
        Element networkSection = child(env, ns, "NetworkSection");
        if (networkSection != null) {
            infoFirst(networkSection, ns);
            for (Element n : children(networkSection).subList(1, children(networkSection).size())) {
                assertThat(n.getLocalName()).isEqualTo("Network");
                networks.add(n.getAttributeNS(ns, "name"));
            }
        }

        Element vs = top.get(top.size() - 1);
        assertThat(vs.getAttributeNS(ns, "id")).isNotBlank();
        infoFirst(vs, ns);
        infoFirst(child(vs, ns, "OperatingSystemSection"), ns);
        Element hw = child(vs, ns, "VirtualHardwareSection");
        infoFirst(hw, ns);
        Element system = child(hw, ns, "System");
        assertThat(system).isNotNull();
        assertThat(child(system, VSSD, "VirtualSystemType").getTextContent()).matches("vmx-\\d\\d");

        Map<String, Element> byId = new HashMap<>();
        Map<String, Element> byType = new HashMap<>();
        for (Element item : children(hw)) {
            if (!item.getLocalName().equals("Item")) {
                continue;
            }
            assertThat(item.getNamespaceURI()).isEqualTo(ns);
            List<String> props = new ArrayList<>();
            for (Element p : children(item)) {
                if (RASD.equals(p.getNamespaceURI())) {
                    props.add(p.getLocalName());
                }
            }
            assertThat(props).as("rasd elements in schema order").isSortedAccordingTo(
                    (a, b) -> Integer.compare(RASD_ORDER.indexOf(a), RASD_ORDER.indexOf(b)));
            assertThat(props).contains("ElementName", "InstanceID", "ResourceType").isSubsetOf(RASD_ORDER);
            String id = child(item, RASD, "InstanceID").getTextContent();
            assertThat(byId.put(id, item)).as("InstanceID %s unique", id).isNull();
            byType.putIfAbsent(child(item, RASD, "ResourceType").getTextContent(), item);
        }
        assertThat(byType).containsKeys("3", "4", "17");
        Element diskItem = byType.get("17");
        assertThat(child(diskItem, RASD, "HostResource").getTextContent())
                .isEqualTo("ovf:/disk/" + disk.getAttributeNS(ns, "diskId"));
        Element controller = byId.get(child(diskItem, RASD, "Parent").getTextContent());
        assertThat(controller).as("the disk's Parent is an Item").isNotNull();
        assertThat(child(controller, RASD, "ResourceType").getTextContent()).isIn("5", "6", "20");
        Element nic = byType.get("10");
        if (nic != null) {
            assertThat(networks).contains(child(nic, RASD, "Connection").getTextContent());
        }
        return new Descriptor(doc, ns, file.getAttributeNS(ns, "href"), Long.parseLong(file.getAttributeNS(ns,
                "size")), Long.parseLong(disk.getAttributeNS(ns, "capacity")),
                Long.parseLong(disk.getAttributeNS(ns, "populatedSize")), vs.getAttributeNS(ns, "id"), byType);
    }

    /** Guest bytes that {@code qemu-img map} reports as data in {@code image}. */
    static long mappedData(Path dir, Path image) throws IOException {
        String json = Proc.run(dir, "qemu-img", "map", "--output=json", image.toString()).requireSuccess().stdout();
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        long sum = 0;
        for (var e : tree) {
            if (e.get("data").asBoolean()) {
                sum += e.get("length").asLong();
            }
        }
        return sum;
    }

    /** {@code qemu-img info}'s virtual size of {@code image}. */
    static long virtualSize(Path dir, Path image) throws IOException {
        String json = Proc.run(dir, "qemu-img", "info", "--output=json", image.toString()).requireSuccess().stdout();
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("virtual-size").asLong();
    }

    private static void infoFirst(Element section, String ns) {
        assertThat(section).isNotNull();
        List<Element> c = children(section);
        assertThat(c).isNotEmpty();
        assertThat(c.get(0).getNamespaceURI()).isEqualTo(ns);
        assertThat(c.get(0).getLocalName()).as("first child of %s", section.getLocalName()).isEqualTo("Info");
    }

    static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                out.add(c);
            }
        }
        return out;
    }

    static Element child(Element e, String ns, String local) {
        for (Element c : children(e)) {
            if (ns.equals(c.getNamespaceURI()) && local.equals(c.getLocalName())) {
                return c;
            }
        }
        return null;
    }
}
