package org.qimg.tests.support;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.qimg.cli.Main;

/**
 * Runs qimg either in-process through {@link Main#run} (fast; enough when only output and exit code
 * matter) or as {@code java -jar qimg.jar} (the real launcher: process exit code, real stderr).
 */
public final class Qimg {
    private Qimg() {
    }

    /** Runs qimg in this JVM. */
    public static ProcResult inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(o, e, args);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add("qimg(in-process)");
        cmd.addAll(List.of(args));
        return new ProcResult(cmd, code, out.toString(), err.toString());
    }

    /** Path of the shaded jar the tests pom points at (cli/target/qimg.jar, built earlier in the reactor). */
    public static Path jar() {
        String p = System.getProperty("qimg.jar");
        if (p == null) {
            throw new AssertionError("system property qimg.jar is not set (run through Maven)");
        }
        Path jar = Paths.get(p).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " is missing: build the cli module first (mvn -DskipTests package)");
        }
        return jar;
    }

    /** Runs {@code java -jar qimg.jar ARGS} with the same java that runs the tests. */
    public static ProcResult subprocess(Path workDir, String... args) {
        return Proc.run(workDir, command(args));
    }

    /**
     * The command line of {@code java -jar qimg.jar ARGS} with the same java that runs the tests, for tests
     * that must drive the process themselves (e.g. kill it mid-way).
     */
    public static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        // Start fast: these runs are short; the C1-only JIT and a small heap are plenty.
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
