package org.qimg.tests.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external command with a deadline, collecting stdout and stderr without risk of pipe deadlock. */
public final class Proc {
    /** Generous: a qemu-img call on these small images takes milliseconds, a JVM launch about a second. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Proc() {
    }

    public static ProcResult run(Path workDir, List<String> command) {
        return run(workDir, command, DEFAULT_TIMEOUT);
    }

    /** Runs {@code command} in {@code workDir} and returns the result whatever its exit code. */
    public static ProcResult run(Path workDir, String... command) {
        return run(workDir, List.of(command));
    }

    /** Runs {@code command} in {@code workDir}, requires exit code 0 and returns stdout. */
    public static String ok(Path workDir, String... command) {
        return run(workDir, command).requireSuccess().stdout();
    }

    public static ProcResult run(Path workDir, List<String> command, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // Fixed locale so that numbers and messages print the same way for both tools.
        pb.environment().put("LC_ALL", "C");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Drain out = new Drain(p.getInputStream());
        Drain err = new Drain(p.getErrorStream());
        out.start();
        err.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command));
            }
            out.join();
            err.join();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
        return new ProcResult(List.copyOf(command), p.exitValue(), out.text(), err.text());
    }

    private static final class Drain extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Drain(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (in) {
                in.transferTo(buf);
            } catch (IOException ignored) {
                // the process went away; keep what was read
            }
        }

        String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
