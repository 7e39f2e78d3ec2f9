package org.qimg.tests.support;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A loop block device attached to a backing file by the test ({@code losetup -f --show}) and detached by
 * {@link #close()}; no other {@code /dev} node is touched. Needs root and loop support.
 */
public final class LoopDevice implements AutoCloseable {
    private final Path device;

    private LoopDevice(Path device) {
        this.device = device;
    }

    /** Skips the calling test unless this is root with loop devices and losetup. */
    public static void assumeAvailable() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop device support");
        Assumptions.assumeTrue(Proc.run(null, "losetup", "--version").exitCode() == 0, "no losetup");
    }

    /** Attaches a free loop device to {@code backing}; its size is the file's. */
    public static LoopDevice attach(Path backing) {
        String dev = Proc.ok(null, "losetup", "-f", "--show", backing.toAbsolutePath().toString()).strip();
        return new LoopDevice(Path.of(dev));
    }

    public Path path() {
        return device;
    }

    @Override
    public String toString() {
        return device.toString();
    }

    @Override
    public void close() {
        // the kernel may still hold the device for a moment after a writer closed it
        for (int attempt = 0; ; attempt++) {
            ProcResult r = Proc.run(null, "losetup", "-d", device.toString());
            if (r.exitCode() == 0 || attempt >= 20) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
