package org.qimg.tests.support;

import java.util.List;

/** What a finished command left behind: its exit code and everything it printed. */
public record ProcResult(List<String> command, int exitCode, String stdout, String stderr) {

    /** Returns this result, or throws with the full command, exit code and stderr when it did not exit 0. */
    public ProcResult requireSuccess() {
        if (exitCode != 0) {
            throw new AssertionError(describe());
        }
        return this;
    }

    /** Lines of stderr; a final line break does not start another line. */
    public List<String> stderrLines() {
        return lines(stderr);
    }

    /** Lines of stdout; a final line break does not start another line. */
    public List<String> stdoutLines() {
        return lines(stdout);
    }

    static List<String> lines(String s) {
        if (s.isEmpty()) {
            return List.of();
        }
        List<String> parts = List.of(s.split("\\R", -1));
        return parts.get(parts.size() - 1).isEmpty() ? parts.subList(0, parts.size() - 1) : parts;
    }

    public String describe() {
        return String.join(" ", command) + "\n  exit code " + exitCode + "\n  stdout: " + abbreviate(stdout)
                + "\n  stderr: " + abbreviate(stderr);
    }

    private static String abbreviate(String s) {
        return s.length() <= 4000 ? s : s.substring(0, 4000) + "...(" + s.length() + " chars)";
    }
}
