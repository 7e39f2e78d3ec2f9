package org.qimg.tests.vmdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * A second, independent reader: libvmdk's {@code vmdkinfo} (package libvmdk-utils) agrees with qimg's
 * {@code info} on the media size, the content identifiers and the number of extents of VMDKs qemu-img made.
 */
class VmdkLibvmdkTest {
    private static Path dir;

    @BeforeAll
    static void setUp() {
        Qemu.assumeInstalled();
        ProcResult probe;
        try {
            probe = Proc.run(Path.of("."), "vmdkinfo", "-V");
        } catch (RuntimeException e) {
            probe = null;
        }
        assumeTrue(probe != null && probe.exitCode() == 0, "vmdkinfo (libvmdk-utils) is not installed");
        dir = Scratch.dir("vmdk-libvmdk");
        Qemu q = new Qemu(dir);
        Content.writeMixed(dir.resolve("src.raw"), 3 * 1024 * 1024 + 4096, 31);
        for (String sub : subformats().toList()) {
            q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + sub, "src.raw", sub + ".vmdk");
        }
        q.img("create", "-q", "-f", "vmdk", "-b", "monolithicSparse.vmdk", "-F", "vmdk", "child.vmdk");
    }

    static Stream<String> subformats() {
        return Stream.of("monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat",
                "streamOptimized");
    }

    static Stream<String> images() {
        return Stream.concat(subformats(), Stream.of("child"));
    }

    private static long field(String text, String label) {
        Matcher m = Pattern.compile(label + ":\\s+(?:.*\\((\\d+) bytes\\)|0x([0-9a-f]+)|(\\d+))").matcher(text);
        assertThat(m.find()).as(label + " in:\n" + text).isTrue();
        return m.group(1) != null ? Long.parseLong(m.group(1)) : m.group(2) != null ? Long.parseLong(m.group(2), 16)
                : Long.parseLong(m.group(3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void vmdkinfoAgreesWithQimgInfo(String name) {
        Path file = dir.resolve(name + ".vmdk");
        String lib = Proc.run(dir, List.of("vmdkinfo", file.toString())).requireSuccess().stdout();
        JsonNode info = JsonCompare.parse(Qimg.inProcess("info", "--output=json", file.toString()).requireSuccess()
                .stdout(), "qimg info");
        JsonNode data = info.get("format-specific").get("data");
        assertThat(info.get("virtual-size").asLong()).isEqualTo(field(lib, "Media size"));
        assertThat(data.get("cid").asLong()).isEqualTo(field(lib, "\\tContent identifier"));
        if (lib.contains("Parent content identifier")) {
            assertThat(data.get("parent-cid").asLong()).isEqualTo(field(lib, "Parent content identifier"));
        }
        assertThat((long) data.get("extents").size()).isEqualTo(field(lib, "Number of extents"));
    }
}
