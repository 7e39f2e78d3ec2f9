package org.qimg.format.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.UnsupportedFeatureException;

/** The signature table against hand-made headers, one rule of QEMU 7.2's probes (or qimg's own) at a time. */
class SignaturesTest {

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A file of {@code size} bytes starting with {@code head}. */
    static byte[] file(int size, byte[] head) {
        return Arrays.copyOf(head, Math.max(size, head.length));
    }

    static String probe(byte[] file, String name) {
        return ImageFormats.probe(ProbeBytes.of(file, name)).name();
    }

    static String probe(byte[] file) {
        return probe(file, "disk.img");
    }

    @Test
    void qcowVersionDecidesBetweenQcowAndQcow2AsInQemu() {
        for (int version : new int[] {0, 1, 2, 3, 4}) {
            ByteBuffer b = ByteBuffer.allocate(1024).put(ascii("QFI\u00fb")).putInt(version);
            String expected = version == 1 ? "qcow" : version >= 2 ? "qcow2" : "raw";
            assertThat(probe(b.array())).as("version %d", version).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "vmdk sparse|KDMV|vmdk", "vmdk 3|COWD|vmdk", "vhdx|vhdxfile|vhdx", "vpc dynamic|conectix|vpc",
        "qed|QED\u0000|qed", "xz|\u00fd7zXZ\u0000|xz", "gzip|\u001f\u008b\u0008|gzip",
        "zstd|\u0028\u00b5\u002f\u00fd|zstd",
        "zstd skippable|\u0050\u002a\u004d\u0018|zstd", "zstd skippable last|\u005f\u002a\u004d\u0018|zstd",
        "lz4 frame|\u0004\"M\u0018|lz4", "lz4 legacy|\u0002!L\u0018|lz4", "bzip2|BZh91AY&SY|bzip2",
        "bzip2 empty|BZh9\u0017rE8P\u0090|bzip2",
        "gzip with another method|\u001f\u008b\u0007|raw", "bzip2 bad level|BZh01AY&SY|raw", "nothing|hello|raw"})
    void magicAtTheStart(String label, String magic, String format) {
        assertThat(probe(file(4096, ascii(magic)))).isEqualTo(format);
    }

    @Test
    void vdiSignatureIsAtOffset64LittleEndian() {
        byte[] f = new byte[1024];
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(0x40, 0xbeda107f);
        assertThat(probe(f)).isEqualTo("vdi");
        ByteBuffer.wrap(f).order(ByteOrder.BIG_ENDIAN).putInt(0x40, 0xbeda107f);
        assertThat(probe(f)).isEqualTo("raw");
    }

    @Test
    void parallelsNeedsVersion2() {
        for (String magic : new String[] {"WithoutFreeSpace", "WithouFreSpacExt"}) {
            ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN).put(ascii(magic)).putInt(2);
            assertThat(probe(b.array())).isEqualTo("parallels");
            b.putInt(16, 3);
            assertThat(probe(b.array())).isEqualTo("raw");
        }
    }

    @Test
    void bochsNeedsAllThreeStringsAndAKnownVersion() {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, ascii("Bochs Virtual HD Image")).put(32, ascii("Redolog")).put(48, ascii("Growing"));
        b.putInt(64, 0x00010000);
        assertThat(probe(b.array())).isEqualTo("bochs");
        b.putInt(64, 0x00020000);
        assertThat(probe(b.array())).isEqualTo("bochs");
        b.putInt(64, 0x00030000);
        assertThat(probe(b.array())).isEqualTo("raw");
        b.putInt(64, 0x00020000).put(48, ascii("Growinh"));
        assertThat(probe(b.array())).isEqualTo("raw");
    }

    @Test
    void luksVersion1IsQemusLuksAndVersion2IsRecognisedToo() {
        ByteBuffer b = ByteBuffer.allocate(4096).put(ascii("LUKS\u00ba\u00be")).putShort((short) 1);
        assertThat(probe(b.array())).isEqualTo("luks");
        assertThat(Signatures.best(ProbeBytes.of(b.array(), "x")).orElseThrow().score()).isEqualTo(100);
        b.putShort(6, (short) 2);
        assertThat(probe(b.array())).isEqualTo("luks");
        assertThat(Signatures.best(ProbeBytes.of(b.array(), "x")).orElseThrow().score())
                .isEqualTo(Signatures.QIMG_ONLY);
        b.putShort(6, (short) 3);
        assertThat(probe(b.array())).isEqualTo("raw");
    }

    @Test
    void cloopIsTheStartOfItsShellScript() {
        String script = "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";
        assertThat(probe(file(2048, ascii(script)))).isEqualTo("cloop");
        assertThat(probe(file(2048, ascii(script.replace("V2.0", "V3.0"))))).isEqualTo("raw");
        // both score 2; qemu-img 7.2 opens a cloop file named *.dmg as dmg
        assertThat(probe(file(2048, ascii(script)), "c.dmg")).isEqualTo("dmg");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "'# Disk DescriptorFile\nversion=1\nCID=1\n'|vmdk",
        "'version=2\n'|vmdk",
        "'# a\n# b\r\nversion=3\r\n'|vmdk",
        "'   \n  \r\n# c\nversion=1\n'|vmdk",
        "'version=4\n'|raw",
        "'version=1'|raw",
        "'createType=x\nversion=1\n'|raw",
        "'  x\nversion=1\n'|raw",
        "'\nversion=1\n'|raw",
        "'#version=1\n'|raw"})
    void vmdkDescriptorAsQemuReadsIt(String text, String format) {
        assertThat(probe(ascii(text), "d.vmdk")).isEqualTo(format);
    }

    @Test
    void vmdkDescriptorMustStartWithinTheFirst512Bytes() {
        String comment = "#" + "x".repeat(520) + "\n";
        assertThat(probe(ascii(comment + "version=1\n"), "d.vmdk")).isEqualTo("raw");
    }

    @Test
    void dmgByNameAsQemuAndByKolyTrailer() {
        byte[] raw = new byte[8192];
        assertThat(probe(raw, "disk.dmg")).isEqualTo("dmg");
        assertThat(probe(raw, ".dmg")).as("QEMU wants more than the suffix").isEqualTo("raw");
        assertThat(probe(raw, "disk.DMG")).isEqualTo("raw");
        ByteBuffer trailer = ByteBuffer.wrap(raw, raw.length - 512, 512).slice();
        trailer.put(ascii("koly")).putInt(4).putInt(512);
        assertThat(probe(raw, "disk.img")).isEqualTo("dmg");
        trailer.putInt(4, 3);
        assertThat(probe(raw, "disk.img")).isEqualTo("raw");
    }

    @Test
    void aStrongSignatureBeatsTheDmgName() {
        ByteBuffer b = ByteBuffer.allocate(1024).put(ascii("QFI\u00fb")).putInt(3);
        assertThat(probe(b.array(), "disk.dmg")).isEqualTo("qcow2");
        assertThat(probe(file(1024, ascii("KDMV")), "disk.dmg")).isEqualTo("vmdk");
    }

    @Test
    void fixedVhdFooterNeedsItsChecksum() {
        byte[] f = new byte[4096];
        ByteBuffer footer = ByteBuffer.wrap(f, f.length - 512, 512).slice();
        footer.put(ascii("conectix")).putInt(8, 2).putInt(60, 2);
        assertThat(probe(f)).as("no checksum").isEqualTo("raw");
        byte[] tail = Arrays.copyOfRange(f, f.length - 512, f.length);
        footer.putInt(64, (int) VhdFooter.checksum(tail));
        assertThat(probe(f)).isEqualTo("vpc");
        f[f.length - 1] ^= 1;
        assertThat(probe(f)).as("a changed byte breaks the checksum").isEqualTo("raw");
    }

    @Test
    void tarNeedsItsMagicAndHeaderChecksum() {
        for (String magic : new String[] {"ustar\u000000", "ustar  \u0000"}) {
            byte[] f = new byte[2048];
            System.arraycopy(ascii("disk.raw"), 0, f, 0, 8);
            System.arraycopy(ascii(magic), 0, f, 257, 8);
            assertThat(probe(f)).as("no checksum").isEqualTo("raw");
            String sum = String.format("%06o\u0000 ", TarHeader.checksum(f));
            System.arraycopy(ascii(sum), 0, f, 148, 8);
            assertThat(probe(f)).isEqualTo("tar");
            f[0] = 'e';
            assertThat(probe(f)).isEqualTo("raw");
        }
    }

    @Test
    void emptyAndShortFiles() {
        assertThat(probe(new byte[0])).isEqualTo("raw");
        assertThat(probe(ascii("KDM"))).isEqualTo("raw");
        assertThat(probe(ascii("KDMV"))).isEqualTo("vmdk");
        assertThat(ProbeBytes.of(ascii("KDMV"), "x").tail()).isNull();
    }

    @Test
    void foreignFormatsRefuseToOpenNamingTheFile() {
        ImageFormat f = ImageFormats.probe(ProbeBytes.of(file(1024, ascii("vhdxfile")), "a.vhdx"));
        assertThat(f).isInstanceOf(ForeignFormat.class);
        assertThatThrownBy(() -> f.open(Path.of("a.vhdx"), null)).isInstanceOf(UnsupportedFeatureException.class)
                .hasMessage("Could not open 'a.vhdx': image format 'vhdx' is not supported by qimg (a Hyper-V VHDX "
                        + "image, detected by its signature; use -f raw to read its bytes as raw)");
        ImageFormat xz = ImageFormats.probe(ProbeBytes.of(file(1024, ascii("\u00fd7zXZ\u0000")), "a.xz"));
        assertThat(((ForeignFormat) xz).refusal(Path.of("a.xz"))).hasMessageContaining("'a.xz': it is an xz-"
                + "compressed file, which this command does not read");
    }

    @Test
    void namesQemuKnowsAreNotSupportedRatherThanUnknown() throws Exception {
        for (String name : new String[] {"vmdk", "VMDK"}) {
            assertThat(ImageFormats.byName(name)).isNotInstanceOf(ForeignFormat.class)
                    .extracting(ImageFormat::name).isEqualTo("vmdk"); // qimg reads vmdk (issue 12)
        }
        for (String name : new String[] {"vpc", "vhdx", "vdi", "qed", "qcow", "parallels", "dmg",
                "cloop", "bochs", "luks"}) {
            ImageFormat f = ImageFormats.byName(name);
            assertThat(f).isInstanceOf(ForeignFormat.class);
            assertThatThrownBy(() -> f.open(Path.of("x"), null)).hasMessageContaining("is not supported by qimg");
        }
        assertThatThrownBy(() -> ImageFormats.byName("xz")).hasMessageContaining("Unknown file format");
        assertThat(ImageFormats.byName("raw").name()).isEqualTo("raw");
    }
}
