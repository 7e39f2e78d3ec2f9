package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * The corners of {@code convert -l}'s long spelling, each against qemu-img: both keys (must match one
 * snapshot), a repeated key, an unknown key, and several sources (qemu-img loads the snapshot into the
 * first source only for the long form, and refuses the short form).
 */
class SnapshotSelectorOracleTest {
    private static final OracleImage IMAGE = OracleImages.named("snapshots");

    static Stream<List<String>> cases() {
        String src = IMAGE.path().toString();
        return Stream.of(
                List.of("-l", "snapshot.id=1,snapshot.name=snap1", src),
                List.of("-l", "snapshot.id=1,snapshot.name=snap2", src),
                List.of("-l", "snapshot.id=2,snapshot.id=1", src),
                List.of("-l", "snapshot.name=snap2,snapshot.id=2", src),
                List.of("-l", "snapshot.size=1", src),
                List.of("-l", "snapshot.name=snap1", src, src),
                List.of("-l", "snap1", src, src));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameOutcomeAndBytesAsQemuImg(List<String> args) throws Exception {
        Path out = Scratch.dir("snapshot-selector");
        String tag = Integer.toHexString(args.hashCode());
        Path expected = out.resolve("qemu-" + tag + ".raw");
        Path actual = out.resolve("qimg-" + tag + ".raw");
        Files.deleteIfExists(expected);
        Files.deleteIfExists(actual);
        ProcResult q = new Qemu(out).imgResult(command(args, expected));
        ProcResult r = Qimg.inProcess(command(args, actual));
        try {
            assertThat(r.exitCode()).as("exit code (qemu-img: %s)", q.describe()).isEqualTo(q.exitCode());
            if (q.exitCode() == 0) {
                assertThat(Digests.sha256(actual)).isEqualTo(Digests.sha256(expected));
            } else {
                assertThat(r.stderr()).startsWith("qimg: ");
            }
        } finally {
            Files.deleteIfExists(actual);
            Files.deleteIfExists(expected);
        }
    }

    private static String[] command(List<String> args, Path target) {
        List<String> c = new ArrayList<>(List.of("convert", "-O", "raw"));
        c.addAll(args);
        c.add(target.toString());
        return c.toArray(String[]::new);
    }
}
