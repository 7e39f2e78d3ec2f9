package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/** {@code info --backing-chain} prints every layer, top first, as qemu-img does. */
class BackingChainOracleTest {

    static Stream<OracleImage> chains() {
        return Stream.of(OracleImages.named("chain3"), OracleImages.named("chain2-rawbase-v2top"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chains")
    void backingChainJsonAgreesWithQemuImg(OracleImage image) {
        String path = image.path().toString();
        JsonNode expected = JsonCompare.parse(
                new Qemu(image.dir()).img("info", "--backing-chain", "--output=json", path), "qemu-img");
        ProcResult r = Qimg.inProcess("info", "--backing-chain", "--output=json", path).requireSuccess();
        JsonNode actual = JsonCompare.parse(r.stdout(), "qimg info --backing-chain");

        assertThat(expected.size()).as("layers qemu-img lists").isGreaterThanOrEqualTo(2);
        assertThat(JsonCompare.differences(expected, actual))
                .as("qimg info --backing-chain --output=json vs qemu-img (qimg printed:%n%s)", r.stdout())
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chains")
    void backingChainHumanMatchesQemuImg(OracleImage image) {
        String path = image.path().toString();
        String expected = new Qemu(image.dir()).img("info", "--backing-chain", path);
        ProcResult r = Qimg.inProcess("info", "--backing-chain", path).requireSuccess();

        assertThat(r.stdoutLines()).containsExactlyElementsOf(QemuOracleTest.lines(expected));
    }
}
