package org.qimg.tests.unusual;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Valid but uncommon images made by qemu-img/qemu-io 7.2, where qimg once answered differently: external
 * data files under {@code check}, persistent bitmaps under {@code measure} and {@code info --output=json},
 * check percentages that fall on a rounding tie, and {@code compare -s} over images whose content is the
 * same but whose host layout or run ends differ. Each case runs both tools on the same file and wants the
 * same exit code and the same stdout.
 */
class UnusualImagesOracleTest {
    @TempDir
    static Path dir;

    private static Qemu q;

    private static String p(String name) {
        return dir.resolve(name).toString();
    }

    private static void io(String file, String... cmds) {
        q.io(dir.resolve(file), "qcow2", cmds);
    }

    @BeforeAll
    static void images() throws IOException {
        Qemu.assumeInstalled();
        q = new Qemu(dir);
        for (String raw : new String[] {"on", "off"}) {
            q.img("create", "-q", "-f", "qcow2", "-o", "data_file=" + p("ext-" + raw + ".data") + ",data_file_raw="
                    + raw, p("ext-" + raw + ".qcow2"), "4M");
            io("ext-" + raw + ".qcow2", "write -P 1 0 64k", "write -z 1M 64k", "write -P 3 2M 100k");
        }
        // the data file moves away: qemu-img check cannot open the image
        Files.createDirectories(dir.resolve("moved"));
        q.img("create", "-q", "-f", "qcow2", "-o", "data_file=" + p("moved/lost.data"), p("moved/lost.qcow2"), "1M");
        Files.delete(dir.resolve("moved/lost.data"));

        q.img("create", "-q", "-f", "qcow2", p("bitmaps.qcow2"), "8M");
        io("bitmaps.qcow2", "write -P 1 0 1M");
        q.img("bitmap", "--add", p("bitmaps.qcow2"), "b0");
        q.img("bitmap", "--add", "-g", "512", p("bitmaps.qcow2"), "fine-grained");
        q.img("bitmap", "--add", "--disable", p("bitmaps.qcow2"), "off");
        q.img("bitmap", "--add", "-g", "2M", p("bitmaps.qcow2"), "coarse");

        // 2 of 64 clusters allocated: 3.125 %, which C prints as 3.12
        q.img("create", "-q", "-f", "qcow2", p("tie.qcow2"), "4M");
        io("tie.qcow2", "write -P 1 0 128k");

        // same content, data written in reverse order (two host runs) or in one go (one run to the end)
        q.img("create", "-q", "-f", "qcow2", p("one-run.qcow2"), "128k");
        io("one-run.qcow2", "write -P 1 0 128k");
        q.img("create", "-q", "-f", "qcow2", p("two-runs.qcow2"), "128k");
        io("two-runs.qcow2", "write -P 1 64k 64k", "write -P 1 0 64k");
        // data, then unallocated to the end / unallocated then a zero cluster then unallocated
        q.img("create", "-q", "-f", "qcow2", p("tail.qcow2"), "4M");
        io("tail.qcow2", "write -P 1 0 64k");
        Files.copy(dir.resolve("tail.qcow2"), dir.resolve("tail-zero.qcow2"));
        io("tail-zero.qcow2", "write -z 1M 64k");
        Files.copy(dir.resolve("tail.qcow2"), dir.resolve("tail-data.qcow2"));
        io("tail-data.qcow2", "write -P 0 1M 64k");
        q.img("convert", "-O", "raw", p("tail.qcow2"), p("tail.raw"));
        // 512-byte clusters: QEMU's runs stop at every L2 table (32 KiB of guest data)
        q.img("convert", "-O", "qcow2", "-o", "cluster_size=512", p("tail.qcow2"), p("tail-512.qcow2"));
        q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", p("full-512.qcow2"), "128k");
        io("full-512.qcow2", "write -P 1 0 128k");
    }

    private static void assertSameAsQemu(String... args) {
        ProcResult want = q.imgResult(args);
        ProcResult got = Qimg.inProcess(args);
        assertThat(got.stdout()).as("stdout of qimg %s", String.join(" ", args)).isEqualTo(want.stdout());
        assertThat(got.exitCode()).as("exit code of qimg %s\n%s", String.join(" ", args), got.describe())
                .isEqualTo(want.exitCode());
    }

    @ParameterizedTest(name = "check {0}, data_file_raw={1}")
    @CsvSource({"human, on", "human, off", "json, on", "json, off"})
    void checkWithExternalDataFile(String output, String raw) {
        assertSameAsQemu("check", "--output=" + output, p("ext-" + raw + ".qcow2"));
    }

    @Test
    void checkWithMissingDataFileFailsToOpen() {
        ProcResult want = q.imgResult("check", p("moved/lost.qcow2"));
        ProcResult got = Qimg.inProcess("check", p("moved/lost.qcow2"));
        assertThat(want.exitCode()).isEqualTo(1);
        assertThat(got.exitCode()).isEqualTo(1);
        assertThat(got.stderrLines()).hasSize(1);
        assertThat(got.stderr()).contains("lost.data").contains("No such file or directory");
    }

    @ParameterizedTest(name = "measure {0}")
    @ValueSource(strings = {"--output=human", "--output=json", "-o cluster_size=4k", "-o cluster_size=2M"})
    void measureCountsPersistentBitmaps(String option) {
        String[] o = option.split(" ");
        String[] args = new String[3 + o.length];
        args[0] = "measure";
        args[1] = "-O";
        args[2] = "qcow2";
        System.arraycopy(o, 0, args, 3, o.length);
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = p("bitmaps.qcow2");
        assertSameAsQemu(all);
    }

    @Test
    void infoJsonOfDisabledBitmapPrintsEmptyFlagsAsQemu() {
        assertSameAsQemu("info", "--output=json", p("bitmaps.qcow2"));
    }

    @Test
    void checkPercentagesRoundHalfEvenAsC() {
        assertSameAsQemu("check", p("tie.qcow2"));
    }

    @ParameterizedTest(name = "compare -s {0} {1}")
    @CsvSource({
        "one-run.qcow2, two-runs.qcow2",
        "two-runs.qcow2, one-run.qcow2",
        "tail.qcow2, tail-zero.qcow2",
        "tail-zero.qcow2, tail.qcow2",
        "tail.qcow2, tail-data.qcow2",
        "tail-zero.qcow2, tail-data.qcow2",
        "tail.raw, tail-zero.qcow2",
        "tail.qcow2, tail-512.qcow2",
        "tail-512.qcow2, tail.raw",
        "full-512.qcow2, one-run.qcow2",
        "two-runs.qcow2, full-512.qcow2"})
    void strictCompareSeesQemusBlockStatus(String a, String b) {
        assertSameAsQemu("compare", "-s", p(a), p(b));
    }

    /** Sanity for the pair above that must differ: qemu-img itself does report it (rc 1, at offset 0). */
    @Test
    void hostLayoutAloneFailsQemusStrictCompare() {
        ProcResult want = q.imgResult("compare", "-s", p("one-run.qcow2"), p("two-runs.qcow2"));
        assertThat(want.exitCode()).isEqualTo(1);
        assertThat(want.stdout()).contains("Offset 0 block status mismatch");
        assertThat(q.imgResult("compare", p("one-run.qcow2"), p("two-runs.qcow2")).exitCode()).isZero();
    }
}
