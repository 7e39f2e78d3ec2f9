package org.qimg.tests.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qimg.format.raw.HostFiles;

/**
 * Runs the same command line with qemu-img and with qimg (a subprocess), each in its own directory ({@code q/}
 * and {@code i/} under a case directory) holding the same input files, so that relative names, and the files a
 * command leaves behind, can be compared one for one.
 */
public final class SideBySide {
    private final Path qemuDir;
    private final Path qimgDir;

    public SideBySide(Path caseDir) {
        this.qemuDir = caseDir.resolve("q");
        this.qimgDir = caseDir.resolve("i");
        try {
            Files.createDirectories(qemuDir);
            Files.createDirectories(qimgDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path qemuDir() {
        return qemuDir;
    }

    public Path qimgDir() {
        return qimgDir;
    }

    /** Runs qemu-img in {@code q/} (e.g. to prepare an input); fails on a non-zero exit. */
    public void qemuBoth(String... args) {
        new Qemu(qemuDir).imgResult(args).requireSuccess();
        new Qemu(qimgDir).imgResult(args).requireSuccess();
    }

    /** qemu-io on FILE in both directories. */
    public void ioBoth(String file, String format, String... commands) {
        new Qemu(qemuDir).io(qemuDir.resolve(file), format, commands);
        new Qemu(qimgDir).io(qimgDir.resolve(file), format, commands);
    }

    /**
     * Runs {@code args} with both tools and asserts the same exit code, stdout and stderr (the program name
     * prefix "qemu-img: " / "qimg: " aside). Returns qemu-img's result.
     */
    public ProcResult same(String... args) {
        ProcResult q = new Qemu(qemuDir).imgResult(args);
        ProcResult i = Qimg.subprocess(qimgDir, args);
        assertThat(i.exitCode()).as("exit code of %s; qemu-img said %s, qimg %s", String.join(" ", args),
                q.stderr(), i.stderr()).isEqualTo(q.exitCode());
        assertThat(i.stdout()).as("stdout of %s", String.join(" ", args)).isEqualTo(q.stdout());
        assertThat(unprefixed(i.stderr())).as("stderr of %s", String.join(" ", args))
                .isEqualTo(unprefixed(q.stderr()));
        return q;
    }

    /** Asserts that FILE exists in both directories or in neither; when it does, same length and allocation. */
    public boolean sameFile(String file) {
        return sameFile(file, 0);
    }

    /**
     * As {@link #sameFile(String)}, the allocations equal within {@code slack} bytes: a file system may add a
     * block of extent metadata to one of two files whose data blocks are the same (seen with fully allocated
     * files of several MiB on ext4).
     */
    public boolean sameFile(String file, long slack) {
        Path q = qemuDir.resolve(file);
        Path i = qimgDir.resolve(file);
        assertThat(Files.exists(i)).as("%s exists", file).isEqualTo(Files.exists(q));
        if (!Files.exists(q)) {
            return false;
        }
        try {
            assertThat(Files.size(i)).as("length of %s", file).isEqualTo(Files.size(q));
            assertThat(HostFiles.allocatedBytes(i)).as("allocated bytes of %s", file)
                    .isBetween(HostFiles.allocatedBytes(q) - slack, HostFiles.allocatedBytes(q) + slack);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    /** As {@link #sameFile}, and byte for byte equal. */
    public void identical(String file) {
        identical(file, 0);
    }

    /** As {@link #sameFile(String, long)}, and byte for byte equal. */
    public void identical(String file, long slack) {
        if (sameFile(file, slack)) {
            assertThat(Digests.md5(qimgDir.resolve(file))).as("md5 of %s", file)
                    .isEqualTo(Digests.md5(qemuDir.resolve(file)));
        }
    }

    /** qemu-img's view of FILE in both directories (e.g. {@code map --output=json -f raw}) is the same. */
    public void sameView(String file, String... command) {
        String[] q = new String[command.length + 1];
        System.arraycopy(command, 0, q, 0, command.length);
        q[command.length] = file;
        ProcResult a = new Qemu(qemuDir).imgResult(q);
        ProcResult b = new Qemu(qimgDir).imgResult(q);
        assertThat(b.exitCode()).as("qemu-img %s of qimg's %s", String.join(" ", command), file)
                .isEqualTo(a.exitCode());
        assertThat(b.stdout()).as("qemu-img %s of qimg's %s", String.join(" ", command), file)
                .isEqualTo(a.stdout());
    }

    private static String unprefixed(String stderr) {
        return stderr.replaceAll("(?m)^(qemu-img|qimg): ", "");
    }
}
