package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/** The committed sample (samples/README.md's main job) converts and describes itself as qemu-img says. */
class SampleImageTest {
    private static final Path SAMPLES = locateSamples();
    private static final Path SAMPLE = SAMPLES.resolve("sample.qcow2");

    private static Path locateSamples() {
        // Surefire runs in the tests module's directory; the samples sit next to it.
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("samples/sample.qcow2"))) {
                return p.resolve("samples");
            }
        }
        throw new AssertionError("samples/sample.qcow2 not found above " + Paths.get("").toAbsolutePath());
    }

    private static String recordedSha256() throws Exception {
        return Files.readString(SAMPLES.resolve("sample.raw.sha256")).trim().split("\\s+")[0];
    }

    @Test
    void qemuImgAgreesWithTheRecordedChecksum() throws Exception {
        Path out = Scratch.dir("sample").resolve("qemu.raw");
        new Qemu(Scratch.dir("sample")).img("convert", "-O", "raw", SAMPLE.toString(), out.toString());
        assertThat(Digests.sha256(out)).isEqualTo(recordedSha256());
        Files.delete(out);
    }

    @Test
    void convertWithProgressGivesTheRecordedContent() throws Exception {
        Path out = Scratch.dir("sample").resolve("qimg.raw");
        Files.deleteIfExists(out);
        Qimg.inProcess("convert", "-p", "-O", "raw", SAMPLE.toString(), out.toString()).requireSuccess();
        assertThat(Files.size(out)).isEqualTo(64L << 20);
        assertThat(Digests.sha256(out)).isEqualTo(recordedSha256());
        Files.delete(out);
    }

    @Test
    void infoAndMapAgreeWithQemuImg() {
        Qemu q = new Qemu(SAMPLES);
        String path = SAMPLE.toString();
        JsonNode info = JsonCompare.parse(q.img("info", "--output=json", path), "qemu-img info");
        ProcResult qi = Qimg.inProcess("info", "--output=json", path).requireSuccess();
        assertThat(JsonCompare.differences(info, JsonCompare.parse(qi.stdout(), "qimg info"))).isEmpty();

        JsonNode map = JsonCompare.parse(q.img("map", "--output=json", path), "qemu-img map");
        ProcResult qm = Qimg.inProcess("map", "--output=json", path).requireSuccess();
        assertThat(JsonCompare.differences(map, JsonCompare.parse(qm.stdout(), "qimg map"))).isEmpty();

        assertThat(Qimg.inProcess("info", path).requireSuccess().stdoutLines())
                .containsExactlyElementsOf(QemuOracleTest.lines(q.img("info", path)));
    }
}
