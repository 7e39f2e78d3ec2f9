package org.qimg.tests.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.qimg.cli.Main;

/** Runs qemu-img/qemu-io and qimg (in-process) for the analyze tests. */
final class Proc {
    record Result(int code, String out, String err) {
    }

    private Proc() {
    }

    static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).directory(cwd.toFile()).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        int code = p.waitFor();
        return new Result(code, new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static String ok(Path cwd, String... cmd) throws IOException, InterruptedException {
        Result r = run(cwd, cmd);
        assertThat(r.code()).as("%s\nstderr: %s", String.join(" ", cmd), r.err()).isZero();
        return r.out();
    }

    static Result qimg(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }
}
