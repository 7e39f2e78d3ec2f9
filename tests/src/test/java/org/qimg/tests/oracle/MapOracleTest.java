package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/** {@code map} beyond the whole-image JSON of {@link QemuOracleTest}: human output and sub-ranges. */
class MapOracleTest {

    static List<OracleImage> images() {
        return OracleImages.all();
    }

    /**
     * qemu-img's human map refuses images with compressed clusters ("File contains external, encrypted
     * or compressed clusters.", exit 1); such images are skipped here, since what qimg prints for them is
     * not fixed by qemu-img.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void mapHumanMatchesQemuImg(OracleImage image) {
        String path = image.path().toString();
        ProcResult expected = new Qemu(image.dir()).imgResult("map", path);
        assumeTrue(expected.exitCode() == 0, () -> "qemu-img map (human) fails on this image: " + expected.stderr());

        ProcResult r = Qimg.inProcess("map", path).requireSuccess();

        assertThat(r.stdoutLines()).containsExactlyElementsOf(expected.stdoutLines());
    }

    /** Unaligned starts and lengths, a range at the very end, and ranges across layer boundaries. */
    static Stream<Arguments> ranges() {
        List<Arguments> l = new ArrayList<>();
        for (String name : List.of("v3-c4k", "v3-c512", "v3-c64k-extl2", "chain3", "zstd-c64k", "raw-holes",
                "raw-unaligned-length", "snapshots")) {
            l.add(Arguments.of(name, 0L, 1_048_577L));
            l.add(Arguments.of(name, 12_345L, 700_001L));
            l.add(Arguments.of(name, 3 * 4096L, 2 * 4096L));
            l.add(Arguments.of(name, -1000L, null)); // negative: counted back from the virtual size
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} --start-offset={1} --max-length={2}")
    @MethodSource("ranges")
    void mapRangeAgreesWithQemuImg(String name, long start, Long maxLength) {
        OracleImage image = OracleImages.named(name);
        String path = image.path().toString();
        Qemu q = new Qemu(image.dir());
        if (start < 0) {
            long size = JsonCompare.parse(q.img("info", "--output=json", path), "qemu-img info")
                    .get("virtual-size").asLong();
            start += size;
        }
        List<String> args = new ArrayList<>(List.of("map", "--output=json", "--start-offset=" + start));
        if (maxLength != null) {
            args.add("--max-length=" + maxLength);
        }
        args.add(path);
        JsonNode expected = JsonCompare.parse(q.img(args.toArray(String[]::new)), "qemu-img map");
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new)).requireSuccess();

        assertThat(JsonCompare.differences(expected, JsonCompare.parse(r.stdout(), "qimg map")))
                .as("qimg %s (printed:%n%s)", String.join(" ", args), r.stdout())
                .isEmpty();
    }
}
