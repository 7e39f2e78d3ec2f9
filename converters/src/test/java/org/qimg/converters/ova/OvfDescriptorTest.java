package org.qimg.converters.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class OvfDescriptorTest {
    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> rasd(Document d, String element) {
        List<String> out = new ArrayList<>();
        NodeList n = d.getElementsByTagNameNS(OvfDescriptor.RASD, element);
        for (int i = 0; i < n.getLength(); i++) {
            out.add(n.item(i).getTextContent());
        }
        return out;
    }

    @Test
    void describesTheDiskAndHardwareInTheEnvelopesNamespaces() throws Exception {
        OvaSettings s = OvaSettings.parse(List.of("ova.name=web & db <1>"), "x", 0);
        String xml = OvfDescriptor.of(s, "web_db-disk1.vmdk", 123456, new DiskFacts(1L << 30, 65536));
        Document d = parse(xml);
        String ovf = "http://schemas.dmtf.org/ovf/envelope/1";
        Element env = d.getDocumentElement();
        assertThat(env.getNamespaceURI()).isEqualTo(ovf);
        assertThat(env.getLocalName()).isEqualTo("Envelope");
        Element file = (Element) d.getElementsByTagNameNS(ovf, "File").item(0);
        assertThat(file.getAttributeNS(ovf, "href")).isEqualTo("web_db-disk1.vmdk");
        assertThat(file.getAttributeNS(ovf, "size")).isEqualTo("123456");
        Element disk = (Element) d.getElementsByTagNameNS(ovf, "Disk").item(0);
        assertThat(disk.getAttributeNS(ovf, "capacity")).isEqualTo("1073741824");
        assertThat(disk.getAttributeNS(ovf, "capacityAllocationUnits")).isEqualTo("byte");
        assertThat(disk.getAttributeNS(ovf, "populatedSize")).isEqualTo("65536");
        assertThat(disk.getAttributeNS(ovf, "fileRef")).isEqualTo(file.getAttributeNS(ovf, "id"));
        assertThat(disk.getAttributeNS(ovf, "format")).endsWith("vmdk.html#streamOptimized");
        Element vs = (Element) d.getElementsByTagNameNS(ovf, "VirtualSystem").item(0);
        assertThat(vs.getAttributeNS(ovf, "id")).isEqualTo("web & db <1>");
        assertThat(rasd(d, "ResourceType")).containsExactly("3", "4", "6", "17", "10");
        assertThat(rasd(d, "ResourceSubType")).containsExactly("lsilogic", "VmxNet3");
        assertThat(rasd(d, "HostResource")).containsExactly("ovf:/disk/" + disk.getAttributeNS(ovf, "diskId"));
        assertThat(rasd(d, "VirtualQuantity")).containsExactly("2", "2048");
        assertThat(d.getElementsByTagNameNS(OvfDescriptor.VSSD, "VirtualSystemType").item(0).getTextContent())
                .isEqualTo("vmx-13");
        Element fw = (Element) d.getElementsByTagNameNS(OvfDescriptor.VMW, "Config").item(0);
        assertThat(fw.getAttributeNS(OvfDescriptor.VMW, "value")).isEqualTo("bios");
    }

    @Test
    void ideWithoutNetworkInOvf2() throws Exception {
        OvaSettings s = OvaSettings.parse(List.of("ova.controller=ide,ova.network=none,ova.ovf-version=2.0,"
                + "ova.firmware=efi,ova.hw-version=7"), "vm", 0);
        Document d = parse(OvfDescriptor.of(s, "vm-disk1.vmdk", 1, new DiskFacts(512, 0)));
        String ovf2 = "http://schemas.dmtf.org/ovf/envelope/2";
        assertThat(d.getDocumentElement().getNamespaceURI()).isEqualTo(ovf2);
        assertThat(d.getDocumentElement().getAttributeNS(ovf2, "version")).isEqualTo("2.0");
        assertThat(d.getElementsByTagNameNS(ovf2, "NetworkSection").getLength()).isZero();
        assertThat(rasd(d, "ResourceType")).containsExactly("3", "4", "5", "17");
        assertThat(d.getElementsByTagNameNS(OvfDescriptor.VSSD, "VirtualSystemType").item(0).getTextContent())
                .isEqualTo("vmx-07");
        Element fw = (Element) d.getElementsByTagNameNS(OvfDescriptor.VMW, "Config").item(0);
        assertThat(fw.getAttributeNS(OvfDescriptor.VMW, "value")).isEqualTo("efi");
    }
}
