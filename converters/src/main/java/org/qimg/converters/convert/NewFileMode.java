package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The mode of a newly created destination: what qemu-img gives ({@code 0644} minus the umask), with the
 * group and other bits reduced to those every source has, so that a copy of a private disk is as private
 * as the disk ({@code 0600} source, {@code 0644} copy would publish it). The owner bits follow the umask.
 */
final class NewFileMode {
    private static final int QEMU_CREATE_MODE = 0644;

    private NewFileMode() {
    }

    static int of(List<Path> sources) {
        int mode = QEMU_CREATE_MODE & ~umask();
        for (Path s : sources) {
            try {
                mode &= 0700 | ((Integer) Files.getAttribute(s, "unix:mode") & 077);
            } catch (IOException | RuntimeException e) {
                // a source that cannot be stat'ed (already open, so this is rare) restricts nothing
            }
        }
        return mode;
    }

    /** The process umask, from /proc/self/status (Linux 4.7+); 022 if it cannot be read. */
    static int umask() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring(6).strip(), 8);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 022;
    }
}
