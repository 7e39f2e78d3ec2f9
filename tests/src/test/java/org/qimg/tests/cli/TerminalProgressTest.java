package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code -p} on a real terminal: qimg runs under {@code script}, which gives it a pty for stdin, stdout and
 * stderr, and copies what the terminal shows to its own stdout. The bar (percent, MiB done of total, rate,
 * elapsed/ETA) must be drawn there, and the line after it (the shell's next output) must start on a line of
 * its own: after success, and after Ctrl-C, sent as the terminal sends it (the ^C character typed into the
 * pty, which makes the line discipline signal the foreground process).
 */
class TerminalProgressTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void tools() throws IOException {
        assumeTrue(onPath("script"), "script (util-linux) drives the pty; .ci/run installs it");
        // random data does not compress: a single worker takes seconds over it, time enough for a Ctrl-C
        Random r = new Random(15);
        byte[] b = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(dir.resolve("random.raw"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < 256; i++) {
                r.nextBytes(b);
                ch.write(ByteBuffer.wrap(b));
            }
        }
        Files.copy(Repo.root().resolve("samples/sample.qcow2"), dir.resolve("sample.qcow2"));
    }

    @Test
    void convertDrawsABarWithRateAndEtaAndEndsItsLine() throws Exception {
        Terminal t = Terminal.run("convert -p -O qcow2 sample.qcow2 bar.qcow2");
        int code = t.waitFor();
        String screen = t.output();
        assertThat(code).as(screen).isZero();
        assertThat(screen).as("the bar").containsPattern("Converting +100% .*64/64 MiB \\(\\d+:\\d\\d:\\d\\d / "
                + "\\d+:\\d\\d:\\d\\d\\) ([\\d.]+|\\?) MiB/s"); // a rate once a second has passed
        assertThat(lineBefore(screen, "AFTER=0")).as(screen).contains("Converting 100%");
        assertThat(screen).as("qemu-img's plain lines are for files and pipes").doesNotContain("/100%)");
        assertThat(dir.resolve("bar.qcow2")).exists();
    }

    @Test
    void compareAndChecksumDrawTheirBarToo() throws Exception {
        Terminal c = Terminal.run("compare -p sample.qcow2 sample.qcow2");
        assertThat(c.waitFor()).isZero();
        assertThat(c.output()).containsPattern("Comparing +100% ");
        assertThat(lineBefore(c.output(), "Images are identical.")).contains("Comparing 100%");
        Terminal s = Terminal.run("checksum -p sample.qcow2");
        assertThat(s.waitFor()).isZero();
        assertThat(s.output()).containsPattern("Checksumming +100% ").contains("  sample.qcow2");
    }

    @Test
    void ctrlCLeavesTheCursorOnANewLineAndNoFile() throws Exception {
        Terminal t = Terminal.run("convert -p -m 1 -c -O qcow2 random.raw interrupted.qcow2");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!t.output().matches("(?s).*Converting +\\d+% .*\\d MiB/s.*") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(t.output()).as("the bar before Ctrl-C, with its rate and ETA")
                .containsPattern("Converting +\\d+% .* \\d+/256 MiB \\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\) "
                        + "[\\d.]+ MiB/s").doesNotContain("AFTER=");
        t.type((byte) 3); // Ctrl-C
        int code = t.waitFor();
        String screen = t.output();
        assertThat(code).as(screen).isZero(); // script's own status; the shell's line below has qimg's
        assertThat(screen).as(screen).contains("AFTER=130");
        String before = lineBefore(screen, "AFTER=130");
        assertThat(before).as("the line the shell's next output follows: the bar's, ended").contains("Converting");
        assertThat(before).doesNotContain("100%");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no DST and no temporary file after Ctrl-C").noneMatch(n -> n.contains("interrupted"));
        }
    }

    @Test
    void anErrorMidwayEndsTheBarBeforeTheMessage() throws Exception {
        Qemu.assumeInstalled();
        Qemu q = new Qemu(dir);
        q.img("create", "-q", "-f", "qcow2", "cut.qcow2", "30M");
        q.io(dir.resolve("cut.qcow2"), "qcow2", "write -P 0x11 0 10M", "write -P 0x22 25M 1M");
        String map = q.img("map", "--output=json", "cut.qcow2");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"start\": 26214400, .*\"offset\": (\\d+)")
                .matcher(map);
        assertThat(m.find()).as(map).isTrue();
        try (FileChannel ch = FileChannel.open(dir.resolve("cut.qcow2"), StandardOpenOption.WRITE)) {
            ch.truncate(Long.parseLong(m.group(1))); // the last data cluster is gone: reading it fails
        }
        Terminal t = Terminal.run("convert -p -O raw cut.qcow2 cut.raw");
        assertThat(t.waitFor()).isZero();
        String screen = t.output();
        assertThat(screen).contains("AFTER=1");
        String before = lineBefore(screen, "qimg: cut.qcow2: ");
        assertThat(before).as("the bar's line, ended before the error").contains("Converting").contains("MiB");
        assertThat(dir.resolve("cut.raw")).doesNotExist();
    }

    /** The text of the terminal line just before the line that starts with {@code marker}. */
    private static String lineBefore(String screen, String marker) {
        String s = screen.replace("\r\n", "\n");
        int at = s.indexOf("\n" + marker);
        assertThat(at).as("'" + marker + "' must start a line of its own in:\n" + s).isNotNegative();
        String head = s.substring(0, at);
        String line = head.substring(head.lastIndexOf('\n') + 1);
        return line.substring(line.lastIndexOf('\r') + 1); // what a \r-redrawn line finally shows
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** qimg ARGS under {@code script}, followed by {@code echo AFTER=$?}, in the test directory. */
    private static final class Terminal {
        private final Process process;
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        private final Thread reader;

        private Terminal(Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                byte[] b = new byte[8192];
                try (InputStream in = process.getInputStream()) {
                    for (int n; (n = in.read(b)) > 0; ) {
                        synchronized (seen) {
                            seen.write(b, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        static Terminal run(String qimgArgs) throws IOException {
            List<String> qimg = new ArrayList<>(Qimg.command());
            StringBuilder cmd = new StringBuilder();
            for (String a : qimg) {
                cmd.append('\'').append(a.replace("'", "'\\''")).append("' ");
            }
            cmd.append(qimgArgs).append("; echo AFTER=$?");
            ProcessBuilder pb = new ProcessBuilder("script", "-qfec", cmd.toString(), "/dev/null");
            pb.directory(dir.toFile());
            pb.redirectErrorStream(true);
            // script runs $SHELL -c; dash (the /bin/sh a bare CI login gets) dies of the Ctrl-C itself even when
            // qimg catches it and exits 130, and then the shell's AFTER line never comes. bash waits for its
            // child and only follows it if the child was killed by the signal (as a terminal user's shell does).
            pb.environment().put("SHELL", "/bin/bash");
            pb.environment().put("TERM", "xterm");
            pb.environment().put("LC_ALL", "C.UTF-8");
            return new Terminal(pb.start());
        }

        void type(byte b) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write(b);
            in.flush();
        }

        int waitFor() throws Exception {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("no end under script: " + output());
            }
            reader.join(10_000);
            return process.exitValue();
        }

        String output() {
            synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
