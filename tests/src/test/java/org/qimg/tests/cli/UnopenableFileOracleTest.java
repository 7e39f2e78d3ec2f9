package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Every command given an image it cannot open: a missing file, a directory, a file its user may not read
 * (mode 000, the command run as {@code nobody}) and an empty file. qemu-img 7.2 and qimg run the same command
 * line as the same user in twin directories; stderr (the program name aside), stdout and the exit code must be
 * equal.
 */
class UnopenableFileOracleTest {
    /** The commands, {@code @} standing for the file under test; {@code good.qcow2} is a healthy image. */
    private static final List<String> COMMANDS = List.of(
            "info @", "info -f raw @", "info --output=json @", "check @", "check --output=json @",
            "convert -O raw @ out.raw", "convert -f raw -O qcow2 @ out.qcow2", "convert -n -O raw good.qcow2 @",
            "compare @ good.qcow2", "compare good.qcow2 @", "map @", "map --output=json @", "measure -O qcow2 @",
            "measure @", "resize @ 2M", "resize -f raw @ 2M", "snapshot -l @", "snapshot -c s @", "snapshot -d s @",
            "snapshot -a s @", "amend -o compat=0.10 @", "rebase -u -b good.qcow2 -F qcow2 @",
            "rebase -b good.qcow2 -F qcow2 @", "commit @", "bitmap --add @ b", "dd if=@ of=out.raw",
            "create -f qcow2 -b @ -F raw ov.qcow2", "create -f qcow2 -b @ ov.qcow2", "create -f raw @ 1M",
            "create -f qcow2 @ 1M");

    /** Cases where qimg still words it otherwise (see the report of session 19); each names its reason. */
    private static final List<String> KNOWN = List.of(
            // qimg's safe replacement of an output: it cannot create a file beside a directory or a file it may
            // not write the way qemu-img truncates one ("error while converting raw: Could not create ...")
            "directory:convert -O raw good.qcow2 @", "unreadable:convert -O raw good.qcow2 @",
            "directory:dd if=good.qcow2 of=@", "unreadable:dd if=good.qcow2 of=@",
            // qemu-img warns that probing guessed raw for the image rebase and commit open read-write; qimg not yet
            "empty:rebase -u -b good.qcow2 -F qcow2 @", "empty:rebase -b good.qcow2 -F qcow2 @", "empty:commit @");

    private static final List<String> CASES = List.of("missing", "directory", "unreadable", "empty");

    @TempDir
    static Path dir;

    @BeforeAll
    static void needsRootAndSetpriv() {
        Qemu.assumeInstalled();
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run as nobody");
        Assumptions.assumeTrue(Proc.run(dir, "setpriv", "--version").exitCode() == 0, "needs setpriv");
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String c : CASES) {
            for (String cmd : COMMANDS) {
                if (!KNOWN.contains(c + ":" + cmd)) {
                    out.add(Arguments.of(c, cmd));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void sameErrorAsQemuImg(String kind, String command) throws IOException {
        String name = switch (kind) {
            case "missing" -> "missing.img";
            case "directory" -> "d";
            case "unreadable" -> "noperm.img";
            default -> "empty.img";
        };
        Path caseDir = Files.createTempDirectory(dir, "case");
        ProcResult q = run(caseDir.resolve("q"), command, name, true);
        ProcResult i = run(caseDir.resolve("i"), command, name, false);
        String line = command.replace("@", name);
        assertThat(i.exitCode()).as("exit code of %s; qemu-img said %s, qimg %s", line, q.stderr(), i.stderr())
                .isEqualTo(q.exitCode());
        assertThat(i.stdout()).as("stdout of %s", line).isEqualTo(q.stdout());
        assertThat(normalized(i.stderr())).as("stderr of %s", line).isEqualTo(normalized(q.stderr()));
    }

    /** Prepares the files in {@code d} (owned by nobody, as a user's own files) and runs the tool as nobody. */
    private static ProcResult run(Path d, String command, String name, boolean qemu) throws IOException {
        Files.createDirectories(d.resolve("d"));
        Files.write(d.resolve("empty.img"), new byte[0]);
        new Qemu(d).imgResult("create", "-q", "-f", "qcow2", "good.qcow2", "1M").requireSuccess();
        new Qemu(d).imgResult("create", "-q", "-f", "raw", "noperm.img", "1M").requireSuccess();
        Proc.ok(d, "chown", "-R", "nobody:nogroup", ".");
        Proc.ok(d, "chmod", "000", "noperm.img");
        Proc.ok(d, "chmod", "755", ".", "d");
        Proc.ok(d.getParent(), "chmod", "755", ".");
        Proc.ok(dir, "chmod", "755", ".");
        List<String> args = new ArrayList<>();
        for (String a : command.split(" ")) {
            args.add(a.replace("@", name));
        }
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups"));
        if (qemu) {
            cmd.add(Qemu.QEMU_IMG);
            cmd.addAll(args);
        } else {
            cmd.addAll(Qimg.command(args.toArray(String[]::new)));
        }
        return Proc.run(d, cmd);
    }

    /** stderr without the program name, and with QEMU's numbered node names ("#block123") made equal. */
    private static String normalized(String stderr) {
        return stderr.replaceAll("(?m)^(qemu-img|qimg): ", "").replaceAll("#block[0-9]+", "#blockN")
                .replace("'qemu-img --help'", "'PROG --help'").replace("'qimg --help'", "'PROG --help'");
    }
}
