package org.qimg.tests.support;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** A small tmpfs mounted on a test-owned directory (for running out of space), unmounted by {@link #close()}. */
public final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (mount's syntax: 8m) on the existing, empty {@code dir}; needs root. */
    public static Tmpfs mount(Path dir, String size) {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a tmpfs");
        Proc.ok(null, "mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toAbsolutePath().toString());
        return new Tmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        if (Proc.run(null, "umount", dir.toAbsolutePath().toString()).exitCode() != 0) {
            Proc.run(null, "umount", "-l", dir.toAbsolutePath().toString());
        }
    }
}
