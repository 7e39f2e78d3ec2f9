package org.qimg.tests.integrity;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.qimg.cli.Main;

/** Runs qemu-img/qemu-io (the oracle) as processes and qimg in-process; captures exit code and output. */
final class Proc {
    record Result(int code, String out, String err) {
    }

    private Proc() {
    }

    static void assumeQemu() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img"))
                && Files.isExecutable(Path.of("/usr/bin/qemu-io")), "qemu-img/qemu-io not installed");
    }

    static Result run(Path dir, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        String e = Files.readString(err);
        Files.delete(err);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), e);
    }

    /** Runs a command that must succeed. */
    static String ok(Path dir, String... cmd) throws IOException {
        Result r = run(dir, cmd);
        if (r.code != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.code + ": " + r.err);
        }
        return r.out;
    }

    /** Runs qimg in-process; file arguments should be absolute paths. */
    static Result qimg(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }
}
