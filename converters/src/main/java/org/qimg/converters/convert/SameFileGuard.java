package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageException;

/**
 * Refuses a destination that is one of the sources or a file of their backing chains (also through symbolic
 * or hard links: compared by file identity), before anything is written.
 */
public final class SameFileGuard {
    private SameFileGuard() {
    }

    public static void check(List<DiskImage> sources, Path destination) throws IOException {
        if (!Files.exists(destination)) {
            return;
        }
        for (DiskImage top : sources) {
            for (Optional<DiskImage> layer = Optional.of(top); layer.isPresent(); layer = layer.get().backing()) {
                Path p = layer.get().path();
                if (Files.exists(p) && Files.isSameFile(p, destination)) {
                    String role = layer.get() == top ? "source image" : "backing file of source '" + top.path() + "'";
                    throw new ImageException("Refusing to write '" + destination + "': it is the same file as the "
                            + role + " '" + p + "'");
                }
            }
        }
    }
}
