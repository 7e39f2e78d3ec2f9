package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * Images named by block options, against qemu-img 7.2: {@code --image-opts} option strings, {@code json:} and
 * {@code file:} file names, for every command that takes them (info, map, check, compare, convert, measure, dd,
 * snapshot, resize, and convert -n's existing target), the drivers qimg has (qcow2, raw with offset/size, the file protocol) and QEMU's refusals.
 * Each command is run by both tools on the same images (read-only commands) or on copies (commands that
 * write): the same stdout, stderr and exit code, "D/" standing for the scratch directory.
 */
class ImageOptsOracleTest {
    private static Path dir;
    private static Qemu qemu;

    @BeforeAll
    static void images() {
        Qemu.assumeInstalled();
        dir = Scratch.dir("image-opts");
        qemu = new Qemu(dir);
        qemu.img("create", "-q", "-f", "qcow2", dir.resolve("a.qcow2").toString(), "1M");
        qemu.io(dir.resolve("a.qcow2"), "qcow2", "write -P 9 0 100k", "write -P 7 512k 64k");
        qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", dir.resolve("v2.qcow2").toString(), "2M");
        qemu.img("create", "-q", "-f", "raw", dir.resolve("r.raw").toString(), "1M");
        qemu.io(dir.resolve("r.raw"), "raw", "write -P 3 0 4k", "write -P 4 64k 64k");
        // an overlay whose backing file is named by a json: object (relative names are the caller's, not the overlay's)
        String backing = "json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\""
                + dir.resolve("a.qcow2") + "\"}}";
        qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "qcow2", dir.resolve("ov.qcow2").toString(),
                "1M");
    }

    static Stream<String> readOnly() {
        return Stream.of(
                // a backing file given by options in place of the header's (iotest 244), its format probed
                "compare --image-opts driver=raw,file.filename=D/r.raw file.filename=D/ov.qcow2,backing.file.filename=D/r.raw",
                "compare --image-opts driver=qcow2,file.filename=D/a.qcow2 driver=qcow2,file.filename=D/ov.qcow2,backing.file.filename=D/r.raw",
                "compare --image-opts driver=raw,file.filename=D/r.raw driver=raw,file.filename=D/ov.qcow2,backing.file.filename=D/r.raw",
                "compare --image-opts driver=qcow2,file.filename=D/a.qcow2 file.filename=D/ov.qcow2,backing.file.filename=D/a.qcow2",
                "compare --image-opts driver=qcow2,file.filename=D/v2.qcow2 file.filename=D/ov.qcow2,backing.file.filename=D/a.qcow2",
                // info over every accepted spelling and QEMU's refusals
                "info --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "info --output=json --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "info --image-opts file.filename=D/a.qcow2",
                "info --image-opts driver=qcow2,file.driver=file,file.filename=D/a.qcow2",
                "info --image-opts driver=raw,file.filename=D/a.qcow2",
                "info --image-opts driver=raw,file.filename=D/r.raw,offset=512,size=4096",
                "info --output=json --image-opts driver=raw,file.filename=D/r.raw,offset=512,size=4096",
                "info --image-opts driver=raw,file.filename=D/r.raw,offset=100",
                "info --image-opts driver=file,filename=D/r.raw",
                "info --image-opts D/a.qcow2",
                "info --image-opts file=D/a.qcow2",
                "info --image-opts driver=qcow2",
                "info --image-opts driver=qcow2,file.filename=D/nope",
                "info --image-opts driver=nosuchdriver,file.filename=D/a.qcow2",
                "info --image-opts driver=qcow2,file.filename=D/a.qcow2,foo=bar",
                "info --image-opts driver=qcow2,file.filename=D/a.qcow2,file.foo=1",
                "info --image-opts driver=qcow2,,x,file.filename=D/a.qcow2",
                "info --image-opts driver=raw,file.filename=D/r.raw,offset=2M",
                "info --image-opts driver=raw,file.filename=D/r.raw,offset=100,size=5000000",
                "info --image-opts driver=raw,file.filename=D/r.raw,size=1000",
                "info -f qcow2 --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "info json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"D/a.qcow2\"}}",
                "info json:{'driver':'qcow2','file':{'driver':'file','filename':'D/a.qcow2'}}",
                "info json:{\"driver\":\"qcow2\",\"file.filename\":\"D/a.qcow2\"}",
                "info json:{\"file\":{\"filename\":\"D/a.qcow2\"}}",
                "info json:{\"driver\":\"raw\",\"file\":{\"filename\":\"D/r.raw\"},\"offset\":512}",
                "info json:{\"driver\":\"raw\",\"file\":{\"filename\":\"D/r.raw\"},\"offset\":\"512\",\"size\":1024}",
                "info json:{\"driver\":\"raw\",\"file\":\"D/r.raw\"}",
                "info json:[1]",
                "info json:{\"driver\":\"file\",\"filename\":\"D/a.qcow2\"}",
                "info json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"D/a.qcow2\"},\"backing\":null}",
                "info file:D/a.qcow2",
                "info file:D/nope",
                // a json: backing file name
                "info D/ov.qcow2",
                "info --output=json D/ov.qcow2",
                "info --backing-chain D/ov.qcow2",
                "map --output=json D/ov.qcow2",
                "compare D/ov.qcow2 D/a.qcow2",
                "check D/ov.qcow2",
                // the other read-only commands
                "map --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "map --output=json --image-opts driver=raw,file.filename=D/r.raw,offset=512,size=131072",
                "map --output=json --image-opts driver=file,filename=D/r.raw",
                "map -f qcow2 --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "check --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "check --output=json --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "check --image-opts driver=raw,file.filename=D/a.qcow2",
                "check --image-opts driver=qcow2,file.filename=D/nope",
                "check json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"D/a.qcow2\"}}",
                "check --output=json json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"D/a.qcow2\"}}",
                "check -f qcow2 --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "compare --image-opts driver=qcow2,file.filename=D/a.qcow2 driver=raw,file.filename=D/a.qcow2",
                "compare --image-opts driver=qcow2,file.filename=D/a.qcow2 file.filename=D/v2.qcow2",
                "compare -f qcow2 --image-opts driver=qcow2,file.filename=D/a.qcow2 file.filename=D/a.qcow2",
                "compare json:{\"driver\":\"raw\",\"file\":{\"filename\":\"D/r.raw\"},\"size\":4096} D/r.raw",
                "measure -O qcow2 --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "measure -O qcow2 --image-opts driver=raw,file.filename=D/r.raw,offset=65536",
                "measure -O qcow2 -f raw --image-opts driver=raw,file.filename=D/r.raw",
                "snapshot -l --image-opts driver=qcow2,file.filename=D/a.qcow2",
                "snapshot -l --image-opts driver=raw,file.filename=D/r.raw,offset=512",
                "snapshot -l json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"D/nope\"}}");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readOnly")
    void readOnlyCommandsAsQemuImg(String command) {
        String[] args = args(command);
        same(qemu.imgResult(args), Qimg.inProcess(args));
    }

    /** convert and dd: the same messages, and the same bytes written (read through the options). */
    @Test
    void convertAndDdReadThroughOptions() throws Exception {
        String[][] cases = {
                {"convert", "-O", "raw", "--image-opts", "driver=qcow2,file.filename=D/a.qcow2", "OUT"},
                {"convert", "-O", "qcow2", "--image-opts", "driver=raw,file.filename=D/r.raw,offset=512,size=65536",
                        "OUT"},
                {"convert", "-O", "raw", "json:{\"driver\":\"raw\",\"file\":{\"filename\":\"D/r.raw\"},\"offset\":4096}",
                        "OUT"},
                {"convert", "-O", "raw", "D/ov.qcow2", "OUT"},
                {"convert", "-O", "raw", "-f", "qcow2", "--image-opts", "driver=qcow2,file.filename=D/a.qcow2", "OUT"},
                {"dd", "--image-opts", "if=driver=raw,file.filename=D/r.raw,offset=65536", "of=OUT", "-O", "raw"},
                {"dd", "--image-opts", "if=driver=qcow2,file.filename=D/a.qcow2", "of=OUT", "-O", "raw", "bs=64k",
                        "count=3"},
        };
        for (String[] c : cases) {
            Path q = dir.resolve("out-qemu");
            Path m = dir.resolve("out-qimg");
            Files.deleteIfExists(q);
            Files.deleteIfExists(m);
            ProcResult qr = qemu.imgResult(replace(c, q));
            ProcResult mr = Qimg.inProcess(replace(c, m));
            same(qr, mr);
            if (qr.exitCode() == 0) {
                ProcResult cmp = qemu.imgResult("compare", q.toString(), m.toString());
                assertThat(cmp.exitCode()).as("qemu-img compare of the outputs of %s\n%s", String.join(" ", c),
                        cmp.describe()).isZero();
            }
        }
    }

    /** snapshot, resize and check -r through options, each tool on its own copy: same output, same image. */
    @Test
    void writingCommandsThroughOptions() throws Exception {
        String[][] cases = {
                {"snapshot", "-c", "s1", "--image-opts", "driver=qcow2,file.filename=IMG"},
                {"snapshot", "-l", "--image-opts", "driver=qcow2,file.filename=IMG"},
                {"snapshot", "-d", "s1", "json:{\"driver\":\"qcow2\",\"file\":{\"filename\":\"IMG\"}}"},
                {"snapshot", "-c", "x", "--image-opts", "driver=raw,file.filename=IMG"},
                {"snapshot", "-a", "s1", "--image-opts", "driver=qcow2,file.filename=D/nope"},
                {"resize", "--image-opts", "driver=qcow2,file.filename=IMG", "+1M"},
                {"resize", "-f", "qcow2", "--image-opts", "driver=qcow2,file.filename=IMG", "+1M"},
                {"resize", "--image-opts", "driver=qcow2,file.filename=D/nope", "2M"},
                {"check", "-r", "all", "--image-opts", "driver=qcow2,file.filename=IMG"},
                {"convert", "-n", "-f", "raw", "-O", "qcow2", "D/r.raw",
                        "json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"IMG\"}}"},
        };
        Path q = dir.resolve("w-qemu.qcow2");
        Path m = dir.resolve("w-qimg.qcow2");
        Files.copy(dir.resolve("a.qcow2"), q, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve("a.qcow2"), m, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        for (String[] c : cases) {
            same(qemu.imgResult(replaceImg(c, q)), Qimg.inProcess(replaceImg(c, m)));
            ProcResult check = qemu.imgResult("check", m.toString());
            assertThat(check.exitCode()).as("qemu-img check after %s\n%s", String.join(" ", c), check.describe())
                    .isZero();
            ProcResult cmp = qemu.imgResult("compare", q.toString(), m.toString());
            assertThat(cmp.exitCode()).as("qemu-img compare after %s", String.join(" ", c)).isZero();
        }
    }

    private static String[] args(String command) {
        List<String> out = new ArrayList<>();
        for (String a : command.split(" ")) {
            out.add(a.replace("D/", dir + "/"));
        }
        return out.toArray(new String[0]);
    }

    private static String[] replace(String[] c, Path out) {
        String[] r = new String[c.length];
        for (int i = 0; i < c.length; i++) {
            r[i] = c[i].replace("D/", dir + "/").replace("OUT", out.toString());
        }
        return r;
    }

    private static String[] replaceImg(String[] c, Path img) {
        String[] r = new String[c.length];
        for (int i = 0; i < c.length; i++) {
            r[i] = c[i].replace("D/", dir + "/").replace("IMG", img.toString());
        }
        return r;
    }

    private static void same(ProcResult q, ProcResult m) {
        assertThat(normal(m.stdout(), m)).as("stdout of %s", m.command()).isEqualTo(normal(q.stdout(), q));
        assertThat(normal(m.stderr(), m)).as("stderr of %s", m.command()).isEqualTo(normal(q.stderr(), q));
        assertThat(m.exitCode()).as("exit code of %s\n%s", m.command(), m.describe()).isEqualTo(q.exitCode());
    }

    /** Output with the scratch directory, the program name and the disk usage (differs per copy) masked. */
    private static String normal(String s, ProcResult r) {
        return s.replace(dir + "/", "D/")
                .replaceAll("w-(qemu|qimg)\\.qcow2", "IMG").replaceAll("out-(qemu|qimg)", "OUT")
                .replaceAll("(?m)^qimg: ", "qemu-img: ").replace("Try 'qimg ", "Try 'qemu-img ")
                .replaceAll("(?m)^disk size: .*$", "disk size: N")
                .replaceAll("\"actual-size\": \\d+", "\"actual-size\": N")
                .replaceAll("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}", "DATE");
    }
}
