package org.qimg.format.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;

/**
 * The probe over random bytes: a file that starts with a magic number is that format whatever follows, and
 * whatever a file holds the probe answers (never throws) with a format whose own rule matches it.
 */
class SignatureProperties {

    /** Magic numbers that decide the format alone, with the name the probe must give. */
    private static final String[][] PREFIXES = {
        {"KDMV", "vmdk"}, {"COWD", "vmdk"}, {"vhdxfile", "vhdx"}, {"conectix", "vpc"}, {"QED\u0000", "qed"},
        {"QFI\u00fb\u0000\u0000\u0000\u0001", "qcow"}, {"QFI\u00fb\u0000\u0000\u0000\u0003", "qcow2"},
        {"LUKS\u00ba\u00be\u0000\u0001", "luks"}, {"WithoutFreeSpace\u0002\u0000\u0000\u0000", "parallels"},
        {"\u00fd7zXZ\u0000", "xz"}, {"\u001f\u008b\u0008", "gzip"}, {"\u0028\u00b5\u002f\u00fd", "zstd"},
        {"\u0004\"M\u0018", "lz4"}, {"BZh91AY&SY", "bzip2"}};

    @Provide
    Arbitrary<String[]> prefixes() {
        return Arbitraries.of(PREFIXES);
    }

    @Property(tries = 500)
    void aFileThatStartsWithAMagicIsThatFormat(@ForAll("prefixes") String[] prefix,
                                               @ForAll @Size(max = 3000) byte[] rest) {
        byte[] magic = prefix[0].getBytes(StandardCharsets.ISO_8859_1);
        byte[] file = new byte[magic.length + rest.length];
        System.arraycopy(magic, 0, file, 0, magic.length);
        System.arraycopy(rest, 0, file, magic.length, rest.length);
        // the name must not matter (a .dmg name scores only 2)
        assertThat(ImageFormats.probe(ProbeBytes.of(file, "file.dmg")).name()).isEqualTo(prefix[1]);
    }

    @Property(tries = 1000)
    void anyBytesProbeToAFormatWhoseRuleMatches(@ForAll @Size(max = 3000) byte[] file) {
        ProbeBytes b = ProbeBytes.of(file, "disk.img");
        ImageFormat f = ImageFormats.probe(b);
        if (f instanceof ForeignFormat foreign) {
            assertThat(foreign.signature().matches(b)).isTrue();
        } else if (!f.name().equals("raw")) {
            assertThat(f.matches(b.head(), b.head().length)).isTrue();
        } else {
            assertThat(Signatures.best(b)).isEmpty();
        }
    }
}
