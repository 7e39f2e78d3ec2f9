package org.qimg.tests.foreign;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.JsonCompare;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * Issue 16, part 2: a qcow2 whose external data file is a FIFO (an untrusted image can name any path).
 * qemu-img info never opens the data file, so it answers at once; qimg info must too, with the same
 * output. Commands that read guest data refuse the FIFO (qemu-img blocks forever there) instead of
 * hanging. Every qimg run here is a real process with a deadline, so a hang fails the test.
 */
class DataFileFifoTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static Path dir;

    @BeforeAll
    static void images() throws Exception {
        Qemu.assumeInstalled();
        dir = Scratch.dir("datafile-fifo");
        Qemu q = new Qemu(dir);
        for (String name : List.of("fifo", "missing")) {
            Files.deleteIfExists(dir.resolve(name + ".qcow2"));
            Files.deleteIfExists(dir.resolve(name + "-data.raw"));
            q.img("create", "-q", "-f", "qcow2", "-o", "data_file=" + name + "-data.raw", name + ".qcow2", "1M");
            Files.delete(dir.resolve(name + "-data.raw"));
        }
        Proc.ok(dir, "mkfifo", "fifo-data.raw");
    }

    private static ProcResult qimg(String... args) {
        return Proc.run(dir, Qimg.command(args), DEADLINE);
    }

    @ParameterizedTest(name = "info of a qcow2 whose data file is {0}")
    @ValueSource(strings = {"fifo", "missing"})
    void infoMatchesQemuImgWithoutOpeningTheDataFile(String name) {
        String image = name + ".qcow2";
        String expected = new Qemu(dir).img("info", image);
        ProcResult human = qimg("info", image);
        assertThat(human.exitCode()).as(human.describe()).isZero();
        assertThat(human.stdout()).isEqualTo(expected).contains("data file: " + name + "-data.raw");

        String expectedJson = new Qemu(dir).img("info", "--output=json", image);
        ProcResult json = qimg("info", "--output=json", image);
        assertThat(json.exitCode()).as(json.describe()).isZero();
        assertThat(JsonCompare.differences(JsonCompare.parse(expectedJson, "qemu-img"),
                JsonCompare.parse(json.stdout(), "qimg"))).isEmpty();
    }

    @Test
    void infoOfTheChainDoesNotOpenTheDataFileEither() {
        ProcResult r = qimg("info", "--backing-chain", "fifo.qcow2");
        assertThat(r.exitCode()).as(r.describe()).isZero();
    }

    @ParameterizedTest(name = "{0} refuses the FIFO data file")
    @ValueSource(strings = {"convert", "map", "compare", "checksum"})
    void readingGuestDataRefusesTheFifo(String command) throws Exception {
        List<String> args = new ArrayList<>(List.of(command));
        if (command.equals("convert")) {
            args.addAll(List.of("-O", "raw", "fifo.qcow2", "fifo-out.raw"));
        } else if (command.equals("compare")) {
            args.addAll(List.of("fifo.qcow2", "missing.qcow2"));
        } else {
            args.add("fifo.qcow2");
        }
        ProcResult r = qimg(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(command.equals("compare") ? 2 : 1);
        assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
        assertThat(r.stderr()).contains("'fifo.qcow2'").contains("'fifo-data.raw'").contains("FIFO");
        assertThat(dir.resolve("fifo-out.raw")).doesNotExist();
    }
}
