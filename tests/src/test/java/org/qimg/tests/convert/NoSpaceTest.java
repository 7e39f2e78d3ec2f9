package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Tmpfs;

/**
 * Running out of space on an 8 MiB tmpfs (mounted on a test-owned directory, unmounted after each test): qimg
 * exits 1 with one line naming the file and the offset in qemu-img's words
 * ({@code error while writing at byte N: No space left on device}), no stack trace, leaves no temporary file
 * and no half-written DST; with {@code -n} the qcow2 it was writing into stays consistent (qemu-img check finds
 * at most leaked clusters).
 */
class NoSpaceTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    private Tmpfs tmpfs;
    private Path full;
    private Qemu qemu;
    private Path src;

    @BeforeEach
    void mount() throws IOException {
        Qemu.assumeInstalled();
        qemu = new Qemu(dir);
        src = dir.resolve("random.raw");
        Content.writeRandomAt(src, 0, (int) (16 * MIB), 21); // incompressible: every cluster takes space
        full = Files.createDirectory(dir.resolve("mnt"));
        tmpfs = Tmpfs.mount(full, "8m");
    }

    @AfterEach
    void unmount() {
        if (tmpfs != null) {
            tmpfs.close();
        }
    }

    private static String s(Path p) {
        return p.toString();
    }

    private static void assertNoSpaceNaming(ProcResult r, Path file) {
        assertNoSpaceNaming(r, file, "");
    }

    /** {@code note}: what a convert that replaces DST adds, e.g. " (no file was created)" (see README). */
    private static void assertNoSpaceNaming(ProcResult r, Path file, String note) {
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).as(r.describe()).matches("qimg: '" + Pattern.quote(file.toString())
                + "': error while writing at byte \\d+: No space left on device" + Pattern.quote(note) + "\\n");
    }

    private List<String> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static Stream<Arguments> targets() {
        return Stream.of(Arguments.of("raw", false), Arguments.of("qcow2", false), Arguments.of("qcow2", true));
    }

    @ParameterizedTest(name = "-O {0} compressed={1}")
    @MethodSource("targets")
    void convertThatRunsOutOfSpaceNamesTheTargetAndLeavesNothingBehind(String fmt, boolean compress)
            throws IOException {
        Path dst = full.resolve("dst." + fmt);
        List<String> args = new ArrayList<>(List.of("convert", "-f", "raw", "-O", fmt));
        if (compress) {
            args.add("-c");
        }
        args.add(s(src));
        ProcResult q = qemu.imgResult(Stream.concat(args.stream(), Stream.of(s(full.resolve("qemu." + fmt))))
                .toArray(String[]::new));
        assertThat(q.exitCode()).as(q.describe()).isEqualTo(1);
        assertThat(q.stderr()).matches("qemu-img: error while writing at byte \\d+: No space left on device\\n");
        Files.delete(full.resolve("qemu." + fmt));

        args.add(s(dst));
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertNoSpaceNaming(r, dst, " (no file was created)");
        assertThat(filesIn(full)).as("no DST, no temporary file").isEmpty();
    }

    @Test
    void anExistingTargetStaysAsItWasWhenTheDiskFillsUp() throws IOException {
        Path dst = full.resolve("dst.qcow2");
        Path small = dir.resolve("small.raw");
        Content.writeMixed(small, MIB, 4);
        qemu.img("convert", "-f", "raw", "-O", "qcow2", s(small), s(dst));
        String before = Digests.md5(dst);
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "qcow2", s(src), s(dst));
        assertNoSpaceNaming(r, dst, " (the destination was left unchanged)");
        assertThat(Digests.md5(dst)).isEqualTo(before);
        assertThat(filesIn(full)).containsExactly("dst.qcow2");
    }

    @Test
    void inPlaceRawThatRunsOutOfSpaceNamesTheTarget() throws IOException {
        Path dst = full.resolve("dst.raw");
        qemu.img("create", "-q", "-f", "raw", s(dst), "16M"); // sparse: takes no space until written
        ProcResult q = qemu.imgResult("convert", "-n", "-f", "raw", "-O", "raw", s(src), s(dst));
        assertThat(q.stderr()).matches("qemu-img: error while writing at byte \\d+: No space left on device\\n");
        ProcResult r = Qimg.inProcess("convert", "-n", "-f", "raw", "-O", "raw", s(src), s(dst));
        assertNoSpaceNaming(r, dst);
    }

    static Stream<Arguments> inPlaceCases() {
        List<Arguments> a = new ArrayList<>();
        for (String cs : new String[] {"65536", "4096", "512"}) {
            for (String fill : new String[] {"3M", "7M"}) {
                a.add(Arguments.of(cs, fill, false));
            }
            a.add(Arguments.of(cs, "5M", true));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "cluster_size={0}, {1} already written, compressed={2}")
    @MethodSource("inPlaceCases")
    void inPlaceQcow2ThatRunsOutOfSpaceStaysConsistent(String clusterSize, String fill, boolean compress) {
        Path dst = full.resolve("dst.qcow2");
        qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=" + clusterSize, s(dst), "16M");
        qemu.io(dst, "qcow2", "write -P 0x33 0 " + fill);
        List<String> args = new ArrayList<>(List.of("convert", "-n", "-f", "raw", "-O", "qcow2"));
        if (compress) {
            args.add("-c");
        }
        args.add(s(src));
        args.add(s(dst));
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertNoSpaceNaming(r, dst);
        ProcResult check = qemu.imgResult("check", "-f", "qcow2", s(dst));
        assertThat(check.exitCode()).as("qemu-img check: clean or leaks only\n" + check.describe()).isIn(0, 3);
    }

    @ParameterizedTest(name = "--debug={0}")
    @ValueSource(booleans = {false, true})
    void theStackTraceComesOnlyWithDebug(boolean debug) throws IOException {
        Path dst = full.resolve("dst.raw");
        List<String> args = new ArrayList<>(List.of("convert", "-f", "raw", "-O", "raw"));
        if (debug) {
            args.add("--debug");
        }
        args.add(s(src));
        args.add(s(dst));
        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderrLines().get(0)).contains("'" + dst + "': error while writing at byte");
        if (debug) {
            assertThat(r.stderr()).contains("\tat ");
        } else {
            assertThat(r.stderrLines()).hasSize(1);
        }
    }
}
