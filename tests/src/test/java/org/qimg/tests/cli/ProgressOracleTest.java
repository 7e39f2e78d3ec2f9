package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code -p} off a terminal: qimg's stdout must be byte for byte what {@code qemu-img convert -p} (and
 * {@code compare -p}) print to a file for the same images and options: the same "    (NN.NN/100%)\r" steps, the
 * repeated 100% and the final newline, also when the command fails.
 */
class ProgressOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void images() throws IOException {
        Qemu.assumeInstalled();
        Qemu q = new Qemu(dir);
        Files.copy(Repo.root().resolve("samples/sample.qcow2"), dir.resolve("sample.qcow2"));
        q.img("convert", "-O", "raw", "sample.qcow2", "sample.raw");
        // many small runs of data, zeros and holes, in 4 KiB clusters and across 2 MiB buffers
        q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "mixed.qcow2", "40M");
        q.io(dir.resolve("mixed.qcow2"), "qcow2", "write -P 0x11 0 3M", "write -z 1M 64k", "write -P 0x22 5M 4k",
                "write -P 0x33 7M 10M", "write -z 9M 1M", "write -P 0x44 39M 512");
        q.img("convert", "-O", "raw", "mixed.qcow2", "mixed.raw");
        // a size that is not a multiple of the cluster size, and not of 512 bytes as raw
        q.img("create", "-q", "-f", "raw", "odd.raw", "5000000");
        q.io(dir.resolve("odd.raw"), "raw", "write -P 0x55 4096 100k");
        q.img("create", "-q", "-f", "qcow2", "empty.qcow2", "10M");
        // a backing chain: runs the top leaves unallocated end where the backing file's L2 tables end
        q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "base.qcow2", "40M");
        q.io(dir.resolve("base.qcow2"), "qcow2", "write -P 1 0 1M", "write -P 2 3M 1M", "write -P 3 20M 64k");
        q.img("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        q.io(dir.resolve("top.qcow2"), "qcow2", "write -P 9 10M 64k");
        // the same guest content in a larger image: identical, with qemu-img's size warning
        Files.copy(dir.resolve("odd.raw"), dir.resolve("odd-6m.raw"));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve("odd-6m.raw").toFile(), "rw")) {
            f.setLength(6 << 20);
        }
    }

    static Stream<String> converts() {
        List<String> cases = new ArrayList<>();
        for (String src : List.of("sample.qcow2", "sample.raw", "mixed.qcow2", "mixed.raw", "odd.raw", "empty.qcow2",
                "top.qcow2")) {
            for (String opts : List.of("-O qcow2", "-O raw", "-O qcow2 -c", "-O raw -S 0", "-O qcow2 -S 0",
                    "-O qcow2 -c -o cluster_size=4k", "-O qcow2 -o cluster_size=2M")) {
                cases.add(opts + " " + src);
            }
        }
        cases.add("-O qcow2 sample.qcow2 mixed.raw odd.raw");
        cases.add("-O qcow2 -B sample.qcow2 -F qcow2 mixed.qcow2");
        cases.add("-O qcow2 -B base.qcow2 -F qcow2 top.qcow2");
        cases.add("-O qcow2 nonexistent.qcow2"); // fails: qemu-img prints 0% and the newline
        return cases.stream();
    }

    @ParameterizedTest(name = "convert -p {0}")
    @MethodSource("converts")
    void convertPrintsQemuImgsStepsOnStdout(String args) {
        List<String> a = new ArrayList<>(List.of("convert", "-p"));
        a.addAll(List.of(args.split(" ")));
        List<String> qemu = new ArrayList<>(a);
        qemu.add("out-qemu");
        List<String> qimg = new ArrayList<>(a);
        qimg.add("out-qimg");
        ProcResult expected = new Qemu(dir).imgResult(qemu.toArray(String[]::new));
        ProcResult actual = Qimg.subprocess(dir, qimg.toArray(String[]::new));
        assertThat(actual.exitCode()).as(actual.describe()).isEqualTo(expected.exitCode());
        assertThat(visible(actual.stdout())).as(actual.describe()).isEqualTo(visible(expected.stdout()));
        assertThat(actual.stdout()).startsWith("    (0.00/100%)\r").endsWith("\n");
    }

    static Stream<String> compares() {
        return Stream.of("sample.qcow2 sample.raw", "mixed.qcow2 mixed.raw", "mixed.raw sample.raw",
                "-s mixed.qcow2 mixed.raw", "odd.raw mixed.raw", "-q sample.qcow2 sample.raw",
                "odd.raw odd-6m.raw", "odd-6m.raw odd.raw", "-s odd.raw odd-6m.raw", "mixed.raw sample.raw",
                "top.qcow2 base.qcow2", "top.qcow2 mixed.qcow2",
                "nonexistent.raw sample.raw");
    }

    @ParameterizedTest(name = "compare -p {0}")
    @MethodSource("compares")
    void compareProgressMatchesQemuImg(String args) {
        List<String> a = new ArrayList<>(List.of("compare", "-p"));
        a.addAll(List.of(args.split(" ")));
        ProcResult expected = new Qemu(dir).imgResult(a.toArray(String[]::new));
        ProcResult actual = Qimg.subprocess(dir, a.toArray(String[]::new));
        assertThat(actual.exitCode()).as(actual.describe()).isEqualTo(expected.exitCode());
        assertThat(visible(actual.stdout())).as(actual.describe()).isEqualTo(visible(expected.stdout()));
    }

    @Test
    void checksumProgressIsOnStdoutAndEndsBeforeTheSum() {
        ProcResult r = Qimg.subprocess(dir, "checksum", "-p", "sample.qcow2").requireSuccess();
        assertThat(r.stdout()).startsWith("    (0.00/100%)\r").contains("    (100.00/100%)\r\n")
                .endsWith("  sample.qcow2\n");
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void jsonProgressIsOneObjectPerLineEndingAtTheTotal() throws IOException {
        ProcResult r = Qimg.subprocess(dir, "convert", "--progress=json", "-O", "qcow2", "-c", "mixed.raw",
                "json.qcow2").requireSuccess();
        ObjectMapper m = new ObjectMapper();
        long last = -1;
        JsonNode node = null;
        List<String> lines = r.stdoutLines();
        assertThat(lines).hasSizeGreaterThan(2);
        for (String line : lines) {
            node = m.readTree(line);
            assertThat(node.get("phase").asText()).isEqualTo("converting");
            assertThat(node.get("total").asLong()).isEqualTo(40L << 20);
            assertThat(node.get("done").asLong()).isGreaterThanOrEqualTo(last);
            last = node.get("done").asLong();
        }
        assertThat(node.get("done").asLong()).isEqualTo(40L << 20);
        assertThat(node.get("percent").asDouble()).isEqualTo(100.0);
        ProcResult c = Qimg.subprocess(dir, "compare", "--progress=json", "mixed.raw", "json.qcow2").requireSuccess();
        assertThat(c.stdoutLines().get(0)).startsWith("{\"phase\": \"comparing\", \"done\": 0");
        assertThat(c.stdoutLines()).last().isEqualTo("Images are identical.");
    }

    @Test
    void quietOrNoFlagPrintsNoProgress() {
        ProcResult r = Qimg.subprocess(dir, "convert", "-p", "-q", "-O", "qcow2", "sample.raw", "q.qcow2")
                .requireSuccess();
        assertThat(r.stdout()).isEmpty();
        ProcResult e = new Qemu(dir).imgResult("convert", "-p", "-q", "-O", "qcow2", "sample.raw", "q2.qcow2");
        assertThat(e.stdout()).isEmpty();
    }

    /** Shows the carriage returns, so that a failed comparison is readable. */
    private static String visible(String s) {
        return s.replace("\r", "\\r\n");
    }
}
