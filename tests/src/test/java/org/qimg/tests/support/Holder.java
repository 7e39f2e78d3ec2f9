package org.qimg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A background process that holds an image open (a running QEMU, an interactive qemu-io, a qimg convert),
 * started and then waited for until its OFD locks on the image show in {@code /proc/locks} and stay the same
 * for a moment. {@link #close()}
 * kills it; start it in try-with-resources so that it never outlives the test. Its output goes to a file
 * in the scratch directory, read by {@link #describe()} when something goes wrong.
 */
public final class Holder implements AutoCloseable {
    public static final String QEMU_SYSTEM = System.getProperty("qemu.system", "qemu-system-x86_64");
    /** Upper bound on any holder's life, whatever happens to the test JVM (coreutils' timeout kills it). */
    private static final int MAX_LIFETIME_SECONDS = 300;
    /** How long the holder's locks must stay the same before it counts as holding the image. */
    private static final long STABLE_MS = 300;

    private final Process process;
    private final List<String> command;
    private final Path log;

    private Holder(Process process, List<String> command, Path log) {
        this.process = process;
        this.command = command;
        this.log = log;
    }

    /** Skips the caller when qemu-system-x86_64 is not installed (CI installs qemu-system-x86). */
    public static void assumeQemuSystem() {
        Assumptions.assumeTrue(Qemu.executable(QEMU_SYSTEM), QEMU_SYSTEM + " not installed");
    }

    /**
     * A paused QEMU (no guest, no CPU running: {@code -S}) with {@code image} attached as its first IDE disk,
     * as a running VM holds it. Returns once QEMU holds its locks.
     */
    public static Holder qemuSystem(Path workDir, Path image, String format) {
        return start(workDir, image, List.of(QEMU_SYSTEM, "-nodefaults", "-display", "none", "-S", "-accel", "tcg",
                "-machine", "pc", "-drive", "file=" + image + ",format=" + format));
    }

    /** An interactive qemu-io on {@code image}, waiting for commands on its stdin (extra options: -r, -U). */
    public static Holder qemuIo(Path workDir, Path image, String format, String... options) {
        List<String> cmd = new ArrayList<>(List.of(Qemu.QEMU_IO, "-f", format));
        cmd.addAll(List.of(options));
        cmd.add(image.toString());
        return start(workDir, image, cmd);
    }

    /** Starts {@code command} in {@code workDir} and waits until some process holds OFD locks on {@code image}. */
    public static Holder start(Path workDir, Path image, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("timeout", "-s", "KILL", String.valueOf(MAX_LIFETIME_SECONDS)));
        cmd.addAll(command);
        Path log = workDir.resolve("holder-" + System.nanoTime() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("LC_ALL", "C");
        Process p;
        try {
            p = pb.start(); // stdin stays an open pipe: qemu-io waits on it for commands
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
        Holder h = new Holder(p, cmd, log);
        // QEMU takes its locks in steps (open, then the device's permissions): wait until they stay the same
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TreeSet<Long> seen = new TreeSet<>();
        long stableSince = System.nanoTime();
        while (true) {
            TreeSet<Long> now = lockedBytes(image);
            if (!now.equals(seen)) {
                seen = now;
                stableSince = System.nanoTime();
            } else if (!now.isEmpty() && System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(STABLE_MS)) {
                return h;
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                h.close();
                throw new AssertionError("no locks on " + image + " from " + h.describe());
            }
            sleep(10);
        }
    }

    /** The PID of the started process (coreutils' timeout, whose child is the holder). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The byte offsets any process holds an OFD lock on in {@code image} ({@code /proc/locks}, matched by
     * device and inode), ranges expanded.
     */
    public static TreeSet<Long> lockedBytes(Path image) {
        TreeSet<Long> bytes = new TreeSet<>();
        String id;
        List<String> lines;
        try {
            long ino = ((Number) Files.getAttribute(image, "unix:ino")).longValue();
            id = ":" + ino;
            lines = Files.readAllLines(Path.of("/proc/locks"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : lines) {
            // "5: OFDLCK ADVISORY  READ -1 fe:00:2146689 100 101"
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[1].equals("OFDLCK") || !f[5].endsWith(id)
                    || f[5].chars().filter(c -> c == ':').count() != 2) {
                continue;
            }
            long start = Long.parseLong(f[6]);
            long end = f[7].equals("EOF") ? start : Long.parseLong(f[7]);
            for (long b = start; b <= end && b < start + 1000; b++) {
                bytes.add(b);
            }
        }
        return bytes;
    }

    public String describe() {
        String out;
        try {
            out = Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            out = e.toString();
        }
        return String.join(" ", command) + (process.isAlive() ? " (running)" : " (exit " + process.exitValue() + ")")
                + "\n  output: " + out;
    }

    /** Kills the holder (and the process timeout runs) and waits until both are gone with their locks. */
    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroyForcibly);
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("holder did not die: " + command);
            }
            for (ProcessHandle p : all) {
                // an orphan that nobody reaps stays a (lockless) zombie: do not wait for it forever
                p.onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // see above: its descriptors, and so its locks, went when it died
        }
    }

    /** Stops ({@code SIGSTOP}) or continues ({@code SIGCONT}) the held process and its children. */
    public void signal(String signal) {
        StringBuilder pids = new StringBuilder(String.valueOf(process.pid()));
        process.descendants().forEach(d -> pids.append(' ').append(d.pid()));
        // the shell's own kill: procps may not be installed
        Proc.run(null, List.of("sh", "-c", "kill -" + signal + " " + pids)).requireSuccess();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
