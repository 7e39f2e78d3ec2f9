package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * For every image of the matrix: qimg's {@code convert -O raw}, {@code info} (JSON and human) and
 * {@code map --output=json} must give what qemu-img 7.2 gives for the same file.
 */
class QemuOracleTest {

    static List<OracleImage> images() {
        return OracleImages.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void convertToRawIsByteIdenticalToQemuImg(OracleImage image) throws Exception {
        Path src = image.path();
        Path out = Scratch.dir("convert/" + image.name());
        Path expected = out.resolve("qemu.raw");
        Path actual = out.resolve("qimg.raw");
        Files.deleteIfExists(actual);
        new Qemu(out).img("convert", "-O", "raw", src.toString(), expected.toString());

        Qimg.inProcess("convert", "-O", "raw", src.toString(), actual.toString()).requireSuccess();

        try {
            assertThat(Files.size(actual)).as("size of qimg's raw output").isEqualTo(Files.size(expected));
            assertThat(Digests.sha256(actual))
                    .as("sha256 of qimg's raw output; first difference at byte %d",
                            Digests.firstDifference(expected, actual))
                    .isEqualTo(Digests.sha256(expected));
        } finally {
            Files.deleteIfExists(actual);
            Files.deleteIfExists(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void infoJsonAgreesWithQemuImg(OracleImage image) {
        String path = image.path().toString();
        JsonNode expected = JsonCompare.parse(new Qemu(image.dir()).img("info", "--output=json", path), "qemu-img");
        ProcResult r = Qimg.inProcess("info", "--output=json", path).requireSuccess();
        JsonNode actual = JsonCompare.parse(r.stdout(), "qimg info");

        assertThat(JsonCompare.differences(expected, actual))
                .as("qimg info --output=json vs qemu-img (qimg printed:%n%s)", r.stdout())
                .isEmpty();
    }

    /**
     * qemu-img's human info never prints its own name (it starts "image: FILE"), so the whole text must
     * match line for line, including "disk size", snapshot dates and the format-specific block.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void infoHumanMatchesQemuImg(OracleImage image) {
        String path = image.path().toString();
        String expected = new Qemu(image.dir()).img("info", path);
        ProcResult r = Qimg.inProcess("info", path).requireSuccess();

        assertThat(r.stdoutLines()).as("qimg info (human)").containsExactlyElementsOf(lines(expected));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapJsonAgreesWithQemuImg(OracleImage image) {
        String path = image.path().toString();
        JsonNode expected = JsonCompare.parse(
                new Qemu(image.dir()).img("map", "-f", image.format(), "--output=json", path), "qemu-img map");
        ProcResult r = Qimg.inProcess("map", "-f", image.format(), "--output=json", path).requireSuccess();
        JsonNode actual = JsonCompare.parse(r.stdout(), "qimg map");

        assertThat(actual.isArray()).as("qimg map prints a JSON array").isTrue();
        assertThat(JsonCompare.differences(expected, actual))
                .as("qimg map --output=json vs qemu-img (qimg printed:%n%s)", r.stdout())
                .isEmpty();
    }

    /** -f overrides probing (a qcow2 file read as raw) and -U (no locking) changes nothing visible. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void infoWithExplicitFormatAndNoLockAgreesWithQemuImg(OracleImage image) {
        String path = image.path().toString();
        for (String[] args : new String[][] {
                {"info", "-f", "raw", "--output=json", path},
                {"info", "-U", "-f", image.format(), "--output=json", path}}) {
            JsonNode expected = JsonCompare.parse(new Qemu(image.dir()).img(args), "qemu-img");
            ProcResult r = Qimg.inProcess(args).requireSuccess();
            assertThat(JsonCompare.differences(expected, JsonCompare.parse(r.stdout(), "qimg info")))
                    .as("qimg %s (printed:%n%s)", String.join(" ", args), r.stdout())
                    .isEmpty();
        }
    }

    static List<String> lines(String s) {
        return new ProcResult(List.of(), 0, s, "").stdoutLines();
    }
}
