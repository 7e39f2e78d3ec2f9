package org.qimg.tests.convert;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.qimg.cli.Main;

/** Runs qemu-img / qemu-io and qimg (in-process or as the real jar) for the convert tests. */
final class Tools {
    record Result(int exit, String out, String err) {
    }

    private Tools() {
    }

    static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed; returns its stdout. */
    static String ok(Path cwd, String... cmd) throws IOException, InterruptedException {
        Result r = run(cwd, cmd);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.err());
        }
        return r.out();
    }

    static Result qimg(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(o, e, args);
        }
        return new Result(code, out.toString(), err.toString());
    }

    /** A {@code java -jar qimg.jar ARGS} process builder running in {@code cwd}. */
    static ProcessBuilder qimgProcess(Path cwd, String... args) {
        String jar = System.getProperty("qimg.jar");
        if (jar == null) {
            throw new IllegalStateException("system property qimg.jar is not set (run through Maven)");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(cwd.toFile());
    }
}
