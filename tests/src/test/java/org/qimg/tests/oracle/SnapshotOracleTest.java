package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/** {@code convert -l SNAPSHOT} must give the snapshot's content, exactly as {@code qemu-img convert -l}. */
class SnapshotOracleTest {
    private static final OracleImage IMAGE = OracleImages.named("snapshots");

    /** By name, by ID, and in qemu-img's long spelling. */
    static Stream<String> snapshotSelectors() {
        return Stream.of("snap1", "snap2", "1", "2", "snapshot.name=snap1", "snapshot.id=2");
    }

    @ParameterizedTest(name = "-l {0}")
    @MethodSource("snapshotSelectors")
    void convertSnapshotToRawMatchesQemuImg(String selector) throws Exception {
        Path src = IMAGE.path();
        Path out = Scratch.dir("snapshot-convert");
        String tag = selector.replaceAll("[^A-Za-z0-9]", "_");
        Path expected = out.resolve("qemu-" + tag + ".raw");
        Path actual = out.resolve("qimg-" + tag + ".raw");
        new Qemu(out).img("convert", "-l", selector, "-O", "raw", src.toString(), expected.toString());

        Qimg.inProcess("convert", "-l", selector, "-O", "raw", src.toString(), actual.toString())
                .requireSuccess();

        try {
            assertThat(Digests.sha256(actual))
                    .as("sha256 of snapshot %s; first difference at byte %d", selector,
                            Digests.firstDifference(expected, actual))
                    .isEqualTo(Digests.sha256(expected));
        } finally {
            Files.deleteIfExists(actual);
            Files.deleteIfExists(expected);
        }
    }

    /**
     * Guards the fixture: snap1, snap2 and the active layer must all have different content, or the
     * comparison above could pass while qimg ignores -l.
     */
    @Test
    void snapshotsReallyDifferFromEachOtherAndTheActiveLayer() throws Exception {
        Path out = Scratch.dir("snapshot-guard");
        Qemu q = new Qemu(out);
        String src = IMAGE.path().toString();
        java.util.Set<String> sums = new java.util.HashSet<>();
        for (String sel : new String[] {"snap1", "snap2", null}) {
            Path raw = out.resolve((sel == null ? "active" : sel) + ".raw");
            if (sel == null) {
                q.img("convert", "-O", "raw", src, raw.toString());
            } else {
                q.img("convert", "-l", sel, "-O", "raw", src, raw.toString());
            }
            sums.add(Digests.sha256(raw));
            Files.delete(raw);
        }
        assertThat(sums).hasSize(3);
    }

    @Test
    void unknownSnapshotIsAnErrorInQemuImgsWords() {
        Path out = Scratch.dir("snapshot-convert").resolve("none.raw");
        ProcResult r = Qimg.inProcess("convert", "-l", "no-such-snap", "-O", "raw", IMAGE.path().toString(),
                out.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderrLines()).hasSize(1);
        // qemu-img 7.2's words, which do not name the snapshot
        assertThat(r.stderr()).isEqualTo("qimg: Failed to load snapshot: Can't find snapshot\n");
    }
}
