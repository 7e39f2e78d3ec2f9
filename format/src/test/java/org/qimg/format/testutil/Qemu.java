package org.qimg.format.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the real qemu-img / qemu-io, the oracle of these tests. */
public final class Qemu {
    private Qemu() {
    }

    /** Skips the calling test when qemu-img or qemu-io is missing. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img"))
                && Files.isExecutable(Path.of("/usr/bin/qemu-io")), "qemu-img/qemu-io not installed");
    }

    /** Runs {@code cmd} in {@code dir}; returns stdout; fails the test with stderr on a non-zero exit. */
    public static String run(Path dir, String... cmd) throws IOException {
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
        String stderr = Files.readString(err);
        Files.delete(err);
        assertThat(p.exitValue()).as("exit code of %s\nstderr: %s", String.join(" ", cmd), stderr).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    public static String img(Path dir, String... args) throws IOException {
        return run(dir, concat("qemu-img", args));
    }

    /** {@code qemu-io -f fmt -c cmd1 -c cmd2 ... image}. */
    public static void io(Path image, String fmt, String... commands) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", fmt));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.getFileName().toString());
        run(image.getParent(), cmd.toArray(String[]::new));
    }

    /** The guest bytes of {@code image} as {@code qemu-img convert -O raw [extra...]} writes them. */
    public static byte[] toRaw(Path image, String... extra) throws IOException {
        Path out = image.resolveSibling(image.getFileName() + ".oracle.raw");
        List<String> args = new ArrayList<>(List.of("convert"));
        args.addAll(Arrays.asList(extra));
        args.addAll(List.of("-O", "raw", image.getFileName().toString(), out.getFileName().toString()));
        img(image.getParent(), args.toArray(String[]::new));
        byte[] b = Files.readAllBytes(out);
        Files.delete(out);
        return b;
    }

    private static String[] concat(String first, String[] rest) {
        String[] a = new String[rest.length + 1];
        a[0] = first;
        System.arraycopy(rest, 0, a, 1, rest.length);
        return a;
    }
}
