package org.qimg.tests.support;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Drives the real {@code qemu-img} and {@code qemu-io} (the oracle). Every call runs in {@code workDir}, so
 * relative backing-file names resolve there; paths handed in are used as given.
 */
public final class Qemu {
    public static final String QEMU_IMG = System.getProperty("qemu.img", "qemu-img");
    public static final String QEMU_IO = System.getProperty("qemu.io", "qemu-io");

    private final Path workDir;

    public Qemu(Path workDir) {
        this.workDir = workDir;
    }

    /** Skips the calling test (or class, from {@code @BeforeAll}) when qemu-img or qemu-io is not installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(executable(QEMU_IMG) && executable(QEMU_IO), "qemu-img/qemu-io not installed");
    }

    /** Whether {@code program} (a path, or a name looked up on PATH) can be run. */
    static boolean executable(String program) {
        if (program.contains(File.separator)) {
            return Files.isExecutable(Path.of(program));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    public Path workDir() {
        return workDir;
    }

    /** Runs {@code qemu-img ARGS} and returns the result whatever its exit code. */
    public ProcResult imgResult(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(QEMU_IMG);
        cmd.addAll(List.of(args));
        return Proc.run(workDir, cmd);
    }

    /** Runs {@code qemu-img ARGS}, requires exit code 0 and returns stdout. */
    public String img(String... args) {
        return imgResult(args).requireSuccess().stdout();
    }

    /**
     * {@code qemu-img ARGS} for a command that makes {@code image} with a LUKS key slot. LUKS key setup times
     * PBKDF2 with the thread's CPU clock; on a busy machine qemu-img sometimes measures 0 ms and gives up
     * ("Unable to get accurate CPU usage"). That is the tool's flake, not qimg's: such a run is tried again, up
     * to eight times, after removing the half-made file it may leave. Any other failure fails at once.
     */
    public void createWithKeySlot(Path image, String... args) {
        ProcResult r = null;
        for (int attempt = 0; attempt < 8; attempt++) {
            r = imgResult(args);
            if (r.exitCode() == 0) {
                return;
            }
            Scratch.deleteTree(image);
            if (!r.stderr().contains("Unable to get accurate CPU usage")) {
                break;
            }
        }
        r.requireSuccess();
    }

    /**
     * Runs qemu-io on {@code image} (format given explicitly so raw files are not probed) with one
     * {@code -c} per command; requires success and that qemu-io reported no failed request (qemu-io
     * exits 0 even when a command fails, so its output is checked too).
     */
    public void io(Path image, String format, List<String> commands) {
        if (commands.isEmpty()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of(QEMU_IO, "-f", format));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.toString());
        ProcResult r = Proc.run(workDir, cmd).requireSuccess();
        String all = r.stdout() + r.stderr();
        if (all.contains("failed") || all.contains("error") || all.contains("Error")) {
            throw new AssertionError("qemu-io reported a failure:\n" + r.describe());
        }
    }

    public void io(Path image, String format, String... commands) {
        io(image, format, List.of(commands));
    }
}
