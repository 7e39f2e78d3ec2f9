package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * A backing chain built twice by qemu-img/qemu-io from one script, in two directories: {@link #a} is handed to
 * qemu-img, {@link #b} to qimg (a separate process, run in its directory, so that file names are relative as
 * in the script). Outputs are compared with the directories replaced by {@code DIR} and qimg's program name by
 * qemu-img's.
 *
 * <p>The script is steps separated by ';': {@code img ARGS} runs qemu-img, {@code io FMT FILE CMD} runs qemu-io
 * with one command. Arguments are separated by spaces; {@code ''} is an empty argument.
 */
final class ChainTwin {
    final Path a;
    final Path b;
    private final Qemu qa;
    private final Qemu qb;

    private ChainTwin(Path a, Path b) {
        this.a = a;
        this.b = b;
        this.qa = new Qemu(a);
        this.qb = new Qemu(b);
    }

    static ChainTwin of(String name, String script) {
        Path dir = Scratch.dir("chain-" + name);
        ChainTwin t = new ChainTwin(dir.resolve("qemu"), dir.resolve("qimg"));
        for (Path d : List.of(t.a, t.b)) {
            try {
                Files.createDirectories(d.resolve("sub"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Qemu q = new Qemu(d);
            for (String step : script.split(";")) {
                String[] w = words(step.trim());
                if (w[0].equals("img")) {
                    q.img(Arrays.copyOfRange(w, 1, w.length));
                } else if (w[0].equals("io")) {
                    q.io(d.resolve(w[2]), w[1], String.join(" ", Arrays.copyOfRange(w, 3, w.length)));
                } else {
                    throw new IllegalArgumentException(step);
                }
            }
        }
        return t;
    }

    static String[] words(String s) {
        String[] w = s.split(" +");
        for (int i = 0; i < w.length; i++) {
            if (w[i].equals("''")) {
                w[i] = "";
            }
        }
        return w;
    }

    ProcResult qemuImg(String... args) {
        return qa.imgResult(args);
    }

    ProcResult qimg(String... args) {
        return Qimg.subprocess(b, args);
    }

    /** Runs {@code args} with both tools and asserts the same exit code, stdout and stderr. */
    void same(String... args) {
        ProcResult q = qemuImg(args);
        ProcResult m = qimg(args);
        assertThat(normal(m.stdout(), b)).as("stdout of %s", m.command()).isEqualTo(normal(q.stdout(), a));
        assertThat(normal(m.stderr(), b)).as("stderr of %s", m.command()).isEqualTo(normal(q.stderr(), a));
        assertThat(m.exitCode()).as("exit code of %s\n%s", m.command(), m.describe()).isEqualTo(q.exitCode());
    }

    static String normal(String s, Path dir) {
        return s.replace(dir.toString(), "DIR").replaceAll("(?m)^qimg: ", "qemu-img: ")
                .replace("Try 'qimg ", "Try 'qemu-img ");
    }

    /**
     * Each of {@code files} (qcow2 unless named *.raw) passes {@code qemu-img check} on qimg's side, reads as on
     * qemu-img's side ({@code qemu-img compare}, which reads through the backing chains) and names the same
     * backing file and format.
     */
    void checkedAndEqual(String... files) {
        for (String f : files) {
            boolean raw = f.endsWith(".raw");
            if (!raw) {
                ProcResult ca = qa.imgResult("check", f);
                ProcResult cb = qb.imgResult("check", f);
                assertThat(cb.exitCode()).as("qemu-img check of qimg's %s:\n%s", f, cb.describe())
                        .isEqualTo(ca.exitCode());
                if (ca.exitCode() != 0) {
                    continue; // qemu-img cannot open it either (a backing file that is not there)
                }
            }
            String fmt = raw ? "raw" : "qcow2";
            ProcResult cmp = qb.imgResult("compare", "-f", fmt, "-F", fmt, a.resolve(f).toString(), f);
            assertThat(cmp.exitCode()).as("qemu-img compare of %s:\n%s", f, cmp.describe()).isZero();
            assertThat(backing(qb, f)).as("backing of qimg's %s", f).isEqualTo(backing(qa, f));
        }
    }

    /** The lines of {@code qemu-img info} that name the backing file and its format. */
    private static List<String> backing(Qemu q, String f) {
        List<String> lines = new ArrayList<>();
        for (String line : q.img("info", "-U", f).split("\n")) {
            if (line.startsWith("backing file")) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** The two copies of {@code file} are byte for byte the same. */
    void sameBytes(String file) {
        try {
            assertThat(Files.mismatch(a.resolve(file), b.resolve(file))).as("first differing byte of qimg's %s",
                    file).isEqualTo(-1L);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
