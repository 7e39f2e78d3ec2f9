package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Option parsing as qemu-img's getopt does it, checked against the real qemu-img on the same arguments:
 * options between and after file names, a repeated option's last value winning, qemu's option-list syntax
 * ("Invalid option list" for a trailing comma) and {@code -o help}.
 */
class ParsingOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void images() {
        Qemu.assumeInstalled();
        Qemu q = new Qemu(dir);
        q.img("create", "-q", "-f", "qcow2", "src.qcow2", "4M");
        q.io(dir.resolve("src.qcow2"), "qcow2", "write -P 0x42 0 1M");
        q.img("snapshot", "-c", "snap1", "src.qcow2");
        q.io(dir.resolve("src.qcow2"), "qcow2", "write -P 0x43 0 64k");
        q.img("convert", "-O", "raw", "src.qcow2", "src.raw");
    }

    private static ProcResult qemu(String... args) {
        return new Qemu(dir).imgResult(args);
    }

    private static String clusterSize(String file) {
        String info = new Qemu(dir).img("info", "--output=json", file);
        return info.replaceAll("(?s).*\"cluster-size\": (\\d+).*", "$1");
    }

    @Test
    void optionsBetweenAndAfterFileNamesWorkAsInQemuImg() throws IOException {
        ProcResult e = qemu("convert", "-O", "qcow2", "src.raw", "-o", "cluster_size=4k", "qemu-4k.qcow2");
        ProcResult a = Qimg.subprocess(dir, "convert", "-O", "qcow2", "src.raw", "-o", "cluster_size=4k",
                "qimg-4k.qcow2");
        assertThat(a.exitCode()).as(a.describe()).isEqualTo(e.exitCode()).isZero();
        assertThat(clusterSize("qimg-4k.qcow2")).isEqualTo(clusterSize("qemu-4k.qcow2")).isEqualTo("4096");
        // -l between the source and DST, and -O after them
        e = qemu("convert", "src.qcow2", "-l", "snap1", "qemu-snap.raw", "-O", "raw");
        a = Qimg.subprocess(dir, "convert", "src.qcow2", "-l", "snap1", "qimg-snap.raw", "-O", "raw");
        assertThat(a.exitCode()).as(a.describe()).isEqualTo(e.exitCode()).isZero();
        assertThat(Files.mismatch(dir.resolve("qimg-snap.raw"), dir.resolve("qemu-snap.raw"))).isEqualTo(-1);
        assertThat(Files.mismatch(dir.resolve("qimg-snap.raw"), dir.resolve("src.raw"))).as("the snapshot's data")
                .isNotEqualTo(-1);
    }

    @Test
    void aRepeatedOptionsLastValueWins() {
        for (List<String> args : List.of(
                List.of("convert", "-O", "raw", "-O", "qcow2", "src.raw", "X"),
                List.of("convert", "-f", "qcow2", "-f", "raw", "src.raw", "X"),
                List.of("convert", "-f", "raw", "-f", "qcow2", "src.raw", "X"))) {
            ProcResult e = qemu(args.stream().map(s -> s.equals("X") ? "qemu-rep" : s).toArray(String[]::new));
            ProcResult a = Qimg.subprocess(dir, args.stream().map(s -> s.equals("X") ? "qimg-rep" : s)
                    .toArray(String[]::new));
            assertThat(a.exitCode()).as(a.describe() + "\nqemu-img: " + e.describe()).isEqualTo(e.exitCode());
            if (e.exitCode() == 0) {
                assertThat(new Qemu(dir).img("info", "qimg-rep").lines().filter(l -> l.startsWith("file format")))
                        .isEqualTo(new Qemu(dir).img("info", "qemu-rep").lines()
                                .filter(l -> l.startsWith("file format")).toList());
            }
        }
    }

    @Test
    void invalidOptionListsFailAsInQemuImg() {
        for (String list : List.of("cluster_size=64k,", ",cluster_size=64k", "cluster_size=64k,,,")) {
            for (String cmd : List.of("convert", "create")) {
                String[] args = cmd.equals("convert")
                        ? new String[] {"convert", "-O", "qcow2", "-o", list, "src.raw", "bad.qcow2"}
                        : new String[] {"create", "-f", "qcow2", "-o", list, "bad.qcow2", "1M"};
                ProcResult e = qemu(args);
                ProcResult a = Qimg.subprocess(dir, args);
                assertThat(a.exitCode()).as(a.describe()).isEqualTo(e.exitCode()).isEqualTo(1);
                assertThat(a.stderr()).isEqualTo(e.stderr().replace("qemu-img:", "qimg:"))
                        .isEqualTo("qimg: Invalid option list: " + list + "\n");
                assertThat(dir.resolve("bad.qcow2")).doesNotExist();
            }
        }
    }

    @Test
    void optionHelpWorksForConvertAsForCreate() {
        for (String[] args : List.of(new String[] {"convert", "-o", "help"}, new String[] {"convert", "-o", "?"},
                new String[] {"create", "-f", "raw", "-o", "help"})) {
            ProcResult e = qemu(args);
            ProcResult a = Qimg.subprocess(dir, args);
            assertThat(a.exitCode()).as(a.describe()).isZero().isEqualTo(e.exitCode());
            assertThat(a.stdout()).isEqualTo(e.stdout());
        }
        // qcow2, and with a target file name: the options qimg supports, in qemu-img's words and layout
        for (String[] args : List.of(new String[] {"convert", "-O", "qcow2", "-o", "help"},
                new String[] {"convert", "-O", "qcow2", "-o", "cluster_size=4k,help", "src.raw", "x.qcow2"},
                new String[] {"convert", "-O", "raw", "-o", "help", "src.raw", "x.raw"},
                new String[] {"create", "-f", "qcow2", "-o", "help", "x.qcow2", "1M"})) {
            ProcResult e = qemu(args);
            ProcResult a = Qimg.subprocess(dir, args);
            assertThat(a.exitCode()).as(a.describe()).isZero().isEqualTo(e.exitCode());
            List<String> expected = e.stdoutLines();
            List<String> actual = a.stdoutLines();
            assertThat(actual.get(0)).isEqualTo(expected.get(0));
            for (String line : actual) {
                if (!line.contains("qimg extra") && !line.startsWith("  preallocation=")) {
                    assertThat(expected).as("a line qemu-img prints too").contains(line);
                }
            }
            assertThat(actual.get(actual.size() - 1)).isEqualTo(expected.get(expected.size() - 1));
            assertThat(dir.resolve("x.qcow2")).doesNotExist();
        }
    }
}
