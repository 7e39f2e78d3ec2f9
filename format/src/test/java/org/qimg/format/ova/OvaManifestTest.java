package org.qimg.format.ova;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.qimg.format.ImageException;

class OvaManifestTest {
    private static final String SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String SHA1_ABC = "a9993e364706816aba3e25717850c26c9cd0d89d";

    private static OvaManifest parse(String text) throws ImageException {
        return OvaManifest.parse(text.getBytes(StandardCharsets.UTF_8), "'x.ova': x.mf");
    }

    @Test
    void readsOvftoolLinesAndChecksDigests() throws Exception {
        OvaManifest m = parse("SHA256(vm.ovf)= " + SHA256_EMPTY + "\nSHA1(vm-disk1.vmdk)= " + SHA1_ABC + "\n");
        assertThat(m.entries()).extracting(OvaManifest.Entry::file).containsExactly("vm.ovf", "vm-disk1.vmdk");
        OvaManifest.Entry disk = m.entry("vm-disk1.vmdk").orElseThrow();
        assertThat(disk.algorithm()).isEqualTo("SHA1");
        MessageDigest md = disk.newDigest();
        md.update("abc".getBytes(StandardCharsets.US_ASCII));
        m.check("vm-disk1.vmdk", md.digest(), "'x.ova'"); // matches: no exception
        m.check("vm.ovf", MessageDigest.getInstance("SHA-256").digest(), "'x.ova'");
        assertThatThrownBy(() -> m.check("vm.ovf", new byte[32], "'x.ova'"))
                .isInstanceOf(ImageException.class)
                .hasMessage("'x.ova': vm.ovf: SHA256 digest " + "00".repeat(32) + " does not match the manifest's "
                        + SHA256_EMPTY);
        assertThat(m.entry("other.iso")).isEmpty();
    }

    @Test
    void acceptsBlanksCrlfAndUppercaseHexAsOtherTools() throws Exception {
        OvaManifest m = parse("SHA256 (my disk (1).vmdk) = " + SHA256_EMPTY.toUpperCase() + "\r\n\r\n");
        assertThat(m.entry("my disk (1).vmdk").orElseThrow().digest())
                .isEqualTo(HexFormat.of().parseHex(SHA256_EMPTY));
    }

    @Test
    void refusesMalformedLinesWithTheLineNumber() {
        assertThatThrownBy(() -> parse("SHA256(a.ovf)= " + SHA256_EMPTY + "\nMD5(b)= 00\n"))
                .hasMessage("'x.ova': x.mf: line 2: expected 'SHA256(file)= hex', found 'MD5(b)= 00'");
        assertThatThrownBy(() -> parse("SHA256(a.ovf)= " + SHA1_ABC))
                .hasMessage("'x.ova': x.mf: line 1: a SHA256 digest has 64 hex digits, not 40");
        assertThatThrownBy(() -> parse("SHA1(a)= " + SHA1_ABC + "\nSHA1(a)= " + SHA1_ABC))
                .hasMessage("'x.ova': x.mf: line 2: 'a' is listed twice");
        assertThatThrownBy(() -> OvaManifest.parse(new byte[] {(byte) 0xff, 'S'}, "m"))
                .hasMessage("m: manifest is not UTF-8 text");
        assertThatThrownBy(() -> OvaManifest.parse(new byte[OvaManifest.MAX_BYTES + 1], "m"))
                .hasMessage("m: manifest of 1048577 bytes is larger than the limit of 1048576");
    }

    @Test
    void writesLinesAsOvftoolDoes() throws Exception {
        byte[] d = HexFormat.of().parseHex(SHA256_EMPTY);
        String line = OvaManifest.line("SHA256", "vm.ovf", d);
        assertThat(line).isEqualTo("SHA256(vm.ovf)= " + SHA256_EMPTY + "\n");
        assertThat(parse(line).entry("vm.ovf").orElseThrow().digest()).isEqualTo(d);
    }
}
