package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code map} on layouts where qemu-img reports host offsets for ranges that hold no data, or asks the
 * host file: kept out of the main matrix because only map is about them.
 */
class MapEdgeOracleTest {
    private static final long MiB = 1L << 20;

    static List<OracleImage> images() {
        return IMAGES;
    }

    private static final List<OracleImage> IMAGES = List.of(
            // Extended L2 over a shorter backing file: unallocated subclusters of allocated clusters carry a
            // host offset; inside the backing file's range the backing answers, past its end the top does.
            new OracleImage("edge-extl2-over-short-backing", "qcow2", List.of(), (q, d) -> {
                Path base = d.resolve("base.qcow2");
                Path top = d.resolve("top.qcow2");
                q.img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", base.toString(), Long.toString(4 * MiB));
                q.io(base, "qcow2", Writes.w(0x01, 0, 4096), Writes.w(0x02, 40960, 2048), Writes.z(8192, 2048));
                q.img("create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "-b", "base.qcow2", "-F", "qcow2",
                        top.toString(), Long.toString(8 * MiB));
                q.io(top, "qcow2", Writes.w(0x03, 65536, 4096), Writes.z(65536 + 8192, 4096),
                        Writes.w(0x04, 6 * MiB, 4096));
                return top;
            }),
            // An external data file: map names it as the header spells it (qemu-img opens it relative to
            // its working directory, so it runs in the image's directory here).
            new OracleImage("edge-external-data-file", "qcow2", List.of(), (q, d) -> {
                Path img = d.resolve("img.qcow2");
                q.img("create", "-q", "-f", "qcow2", "-o", "data_file=data.raw,cluster_size=4096", img.toString(),
                        Long.toString(MiB));
                q.io(img, "qcow2", Writes.w(0x05, 8192, 4096), Writes.z(16384, 4096), Writes.w(0x06, 20480, 100));
                return img;
            }),
            // Not preallocated, but copied sparsely: clusters of written zeros became holes, so qemu's
            // metadata-preallocation guess fires and it reports them as data and zero.
            new OracleImage("edge-sparse-copy", "qcow2", List.of(), (q, d) -> {
                Path img = d.resolve("written.qcow2");
                Path copy = d.resolve("img.qcow2");
                q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", img.toString(), Long.toString(2 * MiB));
                q.io(img, "qcow2", Writes.w(0x00, 0, MiB), Writes.w(0x07, MiB, 64 * 1024),
                        Writes.w(0x00, MiB + 64 * 1024, 8192), Writes.w(0x08, MiB + 96 * 1024, 4096));
                Files.deleteIfExists(copy);
                Proc.run(d, List.of("cp", "--sparse=always", img.toString(), copy.toString())).requireSuccess();
                return copy;
            }));

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapJsonAgreesWithQemuImg(OracleImage image) {
        String path = image.path().toString();
        JsonNode expected = JsonCompare.parse(new Qemu(image.dir()).img("map", "--output=json", path), "qemu-img map");
        ProcResult r = Qimg.inProcess("map", "--output=json", path).requireSuccess();

        assertThat(JsonCompare.differences(expected, JsonCompare.parse(r.stdout(), "qimg map")))
                .as("qimg map --output=json (printed:%n%s)", r.stdout())
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapHumanMatchesQemuImg(OracleImage image) {
        String path = image.path().toString();
        ProcResult expected = new Qemu(image.dir()).imgResult("map", path);
        assertThat(expected.exitCode()).as(expected.describe()).isZero();
        ProcResult r = Qimg.inProcess("map", path).requireSuccess();

        assertThat(r.stdoutLines()).containsExactlyElementsOf(expected.stdoutLines());
    }
}
