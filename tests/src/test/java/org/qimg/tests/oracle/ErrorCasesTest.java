package org.qimg.tests.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * Bad inputs through the real launcher ({@code java -jar qimg.jar}): exit code 1, exactly one line on
 * stderr that starts {@code qimg: } and names the file, no stack trace; with {@code --debug} the trace too.
 * Files are passed by relative name (the process runs in their directory), as a user would type them.
 */
class ErrorCasesTest {
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w.$/]+\\(.*\\)$", Pattern.MULTILINE);

    /** Each bad file, made by qemu-img and then damaged where the case says. */
    private static final Map<String, Function<Qemu, String>> CASES = new java.util.LinkedHashMap<>();

    static {
        CASES.put("missing file", q -> "does-not-exist.qcow2");
        // A qcow2 truncated after its header is no longer here: its tables past the end of the file read as
        // zeros, as QEMU reads them (QemuOpenRulesTest compares such images with qemu-img's reading).
        CASES.put("unknown incompatible feature bit", ErrorCasesTest::unknownIncompatibleBit);
        // iter-time is lowered because qemu's PBKDF calibration fails on this kind of machine at the
        // default 2000 ms ("Unable to get accurate CPU usage"); the header is the same either way.
        CASES.put("LUKS-encrypted", q -> encrypted(q, "luks.qcow2",
                "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10"));
        CASES.put("legacy AES-encrypted", q -> encrypted(q, "aes.qcow2", "encrypt.format=aes,encrypt.key-secret=sec0"));
    }

    /** Every bad file with info and convert; the JSON spellings of info and map on two of them. */
    static Stream<Arguments> cases() {
        List<Arguments> l = new java.util.ArrayList<>();
        for (String c : CASES.keySet()) {
            l.add(Arguments.of(c, List.of("info")));
            l.add(Arguments.of(c, List.of("convert", "-O", "raw")));
        }
        l.add(Arguments.of("missing file", List.of("map", "--output=json")));
        l.add(Arguments.of("unknown incompatible feature bit", List.of("info", "--output=json")));
        return l.stream();
    }

    static Stream<String> caseNames() {
        return CASES.keySet().stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void badInputGivesOneCleanErrorLine(String caseName, List<String> command) throws Exception {
        Path dir = Scratch.dir("errors");
        String file = CASES.get(caseName).apply(new Qemu(dir));
        String out = "out-" + Math.abs((caseName + command).hashCode()) + ".raw";
        Files.deleteIfExists(dir.resolve(out));

        ProcResult r = run(dir, command, file, out, false);

        assertThat(r.exitCode()).as("exit code\n%s", r.describe()).isEqualTo(1);
        assertThat(r.stderrLines()).as("stderr lines\n%s", r.describe()).hasSize(1);
        assertThat(r.stderr()).as("stderr").startsWith("qimg: ").contains(file);
        assertThat(STACK_FRAME.matcher(r.stderr()).find()).as("stack trace on stderr").isFalse();
        assertThat(r.stdout()).as("stdout").isEmpty();
        if (command.get(0).equals("convert")) {
            // qemu-img does not create the destination when the source cannot be opened.
            assertThat(dir.resolve(out)).as("destination of a failed convert").doesNotExist();
        }
    }

    @ParameterizedTest(name = "info --debug on {0}")
    @MethodSource("caseNames")
    void debugAddsTheStackTrace(String caseName) {
        Path dir = Scratch.dir("errors");
        String file = CASES.get(caseName).apply(new Qemu(dir));

        ProcResult r = run(dir, List.of("info"), file, null, true);

        assertThat(r.exitCode()).as("exit code\n%s", r.describe()).isEqualTo(1);
        assertThat(r.stderrLines().get(0)).startsWith("qimg: ").contains(file);
        assertThat(STACK_FRAME.matcher(r.stderr()).find()).as("stack trace with --debug\n%s", r.describe()).isTrue();
    }

    private static ProcResult run(Path dir, List<String> command, String file, String out, boolean debug) {
        List<String> args = new java.util.ArrayList<>(command);
        if (debug) {
            args.add(1, "--debug");
        }
        args.add(file);
        if (out != null && command.get(0).equals("convert")) {
            args.add(out);
        }
        return Qimg.subprocess(dir, args.toArray(String[]::new));
    }

    /**
     * A valid v3 image whose incompatible_features field (header bytes 72..79, big-endian) gets bit 40
     * set, a bit no qcow2 version defines; readers must refuse such an image.
     */
    private static synchronized String unknownIncompatibleBit(Qemu q) {
        String name = "unknown-incompat.qcow2";
        Path p = q.workDir().resolve(name);
        if (!Files.exists(p)) {
            q.img("create", "-q", "-f", "qcow2", p.toString(), "1M");
            q.io(p, "qcow2", "write -P 0x5a 0 64k");
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.seek(72);
                long bits = f.readLong();
                f.seek(72);
                f.writeLong(bits | (1L << 40));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            // The oracle agrees that this image must not open.
            assertThat(q.imgResult("info", p.toString()).stderr()).contains("Unsupported", "feature");
        }
        return name;
    }

    private static synchronized String encrypted(Qemu q, String name, String opts) {
        Path p = q.workDir().resolve(name);
        if (!Files.exists(p)) {
            q.createWithKeySlot(p, "create", "-q", "-f", "qcow2", "--object", "secret,id=sec0,data=abc", "-o", opts,
                    p.toString(), "1M");
        }
        return name;
    }
}
