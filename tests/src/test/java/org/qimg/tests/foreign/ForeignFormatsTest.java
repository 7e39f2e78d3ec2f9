package org.qimg.tests.foreign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Issue 16: a file of a format qimg does not read is refused, never read as raw (also inside an OVA or a
 * compressed file, issue 13). Every file of
 * {@link ForeignFiles} goes through every command that opens an image: one line on stderr naming the file
 * and what it is, no stack trace, nothing on stdout, exit 1 (compare: 2, its "could not open" code), and
 * no output file. {@code -f raw} still reads the bytes as raw, exactly as {@code qemu-img -f raw} does.
 */
class ForeignFormatsTest {
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w.$/]+\\(.*\\)$", Pattern.MULTILINE);

    private static Path dir;

    @BeforeAll
    static void files() {
        Qemu.assumeInstalled();
        dir = ForeignFiles.dir();
    }

    static Stream<ForeignFiles.Case> cases() {
        return ForeignFiles.cases().stream();
    }

    static Stream<Arguments> casesAndCommands() {
        List<List<String>> commands = List.of(List.of("info"), List.of("info", "--output=json"),
                List.of("info", "--backing-chain"), List.of("convert", "-O", "raw"), List.of("convert", "-O", "qcow2"),
                List.of("compare"), List.of("checksum"), List.of("map"), List.of("map", "--output=json"),
                List.of("measure", "-O", "qcow2"), List.of("check"), List.of("analyze"));
        List<Arguments> out = new ArrayList<>();
        for (ForeignFiles.Case c : ForeignFiles.cases()) {
            for (List<String> cmd : commands) {
                out.add(Arguments.of(c, cmd));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1} refuses {0}")
    @MethodSource("casesAndCommands")
    void everyCommandRefusesTheFile(ForeignFiles.Case c, List<String> command) throws Exception {
        assumeTrue(c.file() != null, c.says());
        Path file = dir.resolve(c.file());
        Path target = dir.resolve("out-" + Math.abs((c.label() + command).hashCode()));
        Files.deleteIfExists(target);
        List<String> args = new ArrayList<>(command);
        args.add(file.toString());
        if (command.get(0).equals("convert")) {
            args.add(target.toString());
        } else if (command.get(0).equals("compare")) {
            args.add(dir.resolve(ForeignFiles.SOURCE).toString());
        }

        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));

        int expectedExit = command.get(0).equals("compare") ? 2 : 1;
        // check needs the file itself: it refuses any container, without looking inside
        String says = command.get(0).equals("check") && c.label().equals("OVA") ? "tar archive"
                : command.get(0).equals("check") && c.label().startsWith("xz") ? "xz-compressed file" : c.says();
        assertRefused(r, expectedExit, file, says);
        assertThat(target).as("output of a refused convert").doesNotExist();
    }

    /** One file of each kind: enough to run through the launcher, which costs a JVM start each. */
    static Stream<ForeignFiles.Case> launcherCases() {
        List<String> some = List.of("vhdx with data", "vpc subformat=fixed", "qed with data", "dmg by file name");
        return cases().filter(c -> some.contains(c.label()));
    }

    /** The same through the real launcher: the process's exit code and stderr. */
    @ParameterizedTest(name = "launcher refuses {0}")
    @MethodSource("launcherCases")
    void launcherPrintsOneLine(ForeignFiles.Case c) {
        assumeTrue(c.file() != null, c.says());
        ProcResult r = Qimg.subprocess(dir, "convert", "-O", "qcow2", c.file(), "launcher-out.qcow2");
        assertRefused(r, 1, Path.of(c.file()), c.says());
    }

    /** {@code -f raw} reads the file's bytes as raw: the same output as {@code qemu-img convert -f raw}. */
    @ParameterizedTest(name = "-f raw reads {0} as raw")
    @MethodSource("cases")
    void forcedRawReadsTheBytes(ForeignFiles.Case c) throws Exception {
        assumeTrue(c.file() != null, c.says());
        Path ours = dir.resolve("raw-qimg-" + Math.abs(c.label().hashCode()));
        Path theirs = dir.resolve("raw-qemu-" + Math.abs(c.label().hashCode()));
        new Qemu(dir).img("convert", "-f", "raw", "-O", "raw", c.file(), theirs.toString());
        ProcResult r = Qimg.inProcess("convert", "-f", "raw", "-O", "raw", dir.resolve(c.file()).toString(),
                ours.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Files.mismatch(ours, theirs)).as("qimg and qemu-img -f raw output differ").isEqualTo(-1L);
        assertThat(Files.size(ours)).isGreaterThan(0);
        Files.delete(ours);
        Files.delete(theirs);
    }

    /** A format QEMU knows but qimg does not read, named with -f: "not supported", not "Unknown file format". */
    @Test
    void namedForeignFormatIsNotSupported() {
        Path source = dir.resolve(ForeignFiles.SOURCE);
        for (String f : List.of("vpc", "vhdx", "vdi", "qed", "qcow", "parallels", "dmg", "cloop", "bochs",
                "luks")) {
            ProcResult r = Qimg.inProcess("info", "-f", f, source.toString());
            assertRefused(r, 1, source, "image format '" + f + "' is not supported by qimg");
        }
        ProcResult unknown = Qimg.inProcess("info", "-f", "nosuchformat", source.toString());
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("Unknown file format 'nosuchformat'");
    }

    /** Files qemu-img also probes as raw stay raw: the flat extent of a VMDK and the plain source. */
    @Test
    void rawFilesStillProbeAsRaw() {
        for (String f : List.of(ForeignFiles.SOURCE, "vmdk-monolithicFlat-flat.vmdk")) {
            ProcResult r = Qimg.inProcess("info", "--output=json", dir.resolve(f).toString());
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).contains("\"format\": \"raw\"");
            String qemu = new Qemu(dir).img("info", "--output=json", f);
            assertThat(qemu).contains("\"format\": \"raw\"");
        }
    }

    static void assertRefused(ProcResult r, int exitCode, Path file, String says) {
        assertThat(r.exitCode()).as("exit code\n%s", r.describe()).isEqualTo(exitCode);
        assertThat(r.stderrLines()).as("stderr lines\n%s", r.describe()).hasSize(1);
        assertThat(r.stderr()).as("stderr").startsWith("qimg: ").contains("'" + file + "'").contains(says);
        assertThat(STACK_FRAME.matcher(r.stderr()).find()).as("stack trace on stderr").isFalse();
        assertThat(r.stdout()).as("stdout").isEmpty();
    }
}
