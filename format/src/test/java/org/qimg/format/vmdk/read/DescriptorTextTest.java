package org.qimg.format.vmdk.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.format.CorruptImageException;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.vmdk.layout.ExtentLine;

/**
 * QEMU 7.2's descriptor rules, each checked against what qemu-img 7.2 does with the same line (the expected
 * values below were read off {@code qemu-img info} on descriptors holding these lines).
 */
class DescriptorTextTest {

    private static DescriptorText text(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return new DescriptorText(b, b.length, "d.vmdk");
    }

    private static List<ExtentLine> extents(String line) throws Exception {
        return text("createType=\"monolithicFlat\"\n" + line + "\n").extents();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "RW 2048 FLAT \"f.raw\" 0|1",
        "RW 2048 FLAT  \"f.raw\"  7 junk|1",
        "RW 2048 FLAT \"f.raw\" 0x10|1", // %ld reads the 0
        "RW 2048 VMFS \"f.raw\"|1",
        "RW 2048 ZERO|0",
        "RW 2048 ZERO \"f.raw\"|0",
        "RDONLY 2048 FLAT \"f.raw\" 0|0",
        "NOACCESS 2048 FLAT \"f.raw\" 0|0",
        "rw 2048 FLAT \"f.raw\" 0|0",
        "RW 0 FLAT \"f.raw\" 0|0",
        "RW -5 FLAT \"f.raw\" 0|0",
        "RW 2048 FOO \"f.raw\"|0",
        "RW 2048 VMFSRDM \"f.raw\"|0",
        "RW 2048 FLAT f.raw 0|0",
        "RW 2048 FLAT \"\" 0|0",
    })
    void extentLinesAsQemuReadsThem(String line, int count) throws Exception {
        assertThat(extents(line)).hasSize(count);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "RW 2048 FLAT \"f.raw\"",
        "RW 2048 FLAT \"f.raw\" -1",
        "RW 2048 VMFS \"f.raw\" 0",
        "RW 2048 SPARSE \"f.raw\" 5",
        "RW 2048 FOO \"f.raw\" 0",
    })
    void invalidExtentLines(String line) {
        assertThatThrownBy(() -> extents(line)).isInstanceOf(CorruptImageException.class)
                .hasMessageContaining("Invalid extent line: " + line);
    }

    @Test
    void extentFieldsAndOffsets() throws Exception {
        ExtentLine e = extents("  RW 4096 FLAT \"dir/x y.raw\" 9").get(0);
        assertThat(e.sectors()).isEqualTo(4096);
        assertThat(e.file()).isEqualTo("dir/x y.raw");
        assertThat(e.offset()).isEqualTo(9);
        assertThat(extents("RW 99999999999999999999 FLAT \"f\" 0").get(0).sectors()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void createTypeAsQemuFindsIt() throws Exception {
        assertThat(text("createType=\"vmfs\"\n").createType()).isEqualTo("vmfs");
        // QEMU skips two characters after the key: "createType = \"vmfs\"" names the type " "
        assertThatThrownBy(() -> text("createType = \"vmfs\"\n").createType())
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("Unsupported image type ' '");
        assertThatThrownBy(() -> text("createType=\"monolithicSparse\"\n").createType())
                .hasMessageContaining("Unsupported image type 'monolithicSparse'");
        assertThatThrownBy(() -> text("version=1\n").createType()).hasMessageContaining("invalid VMDK image descriptor");
    }

    @Test
    void cidsAsSscanfReadsThem() throws Exception {
        assertThat(text("CID=0x1F\nparentCID=ffffffff\n").cid(false)).isEqualTo(31);
        assertThat(text("CID=0x1F\nparentCID=ffffffff\n").cid(true)).isEqualTo(0xffffffffL);
        // without a CID line, "CID" is found inside "parentCID"
        assertThat(text("parentCID=fffffffe\n").cid(false)).isEqualTo(0xfffffffeL);
        assertThatThrownBy(() -> text("CID=zz\n").cid(false)).isInstanceOf(CorruptImageException.class);
        assertThatThrownBy(() -> text("version=1\n").cid(true)).hasMessageContaining("parentCID");
    }

    @Test
    void textEndsAtTheFirstNul() throws Exception {
        assertThat(text("createType=\"vmfs\"\nRW 1 VMFS \"a\"\n\0RW 1 VMFS \"b\"\n").extents()).hasSize(1);
    }

    @Test
    void parentHint() throws Exception {
        assertThat(text("parentFileNameHint=\"base.vmdk\"\n").parentHint()).isEqualTo("base.vmdk");
        assertThat(text("version=1\n").parentHint()).isNull();
        assertThatThrownBy(() -> text("parentFileNameHint=\"base.vmdk\n").parentHint())
                .isInstanceOf(CorruptImageException.class);
    }
}
