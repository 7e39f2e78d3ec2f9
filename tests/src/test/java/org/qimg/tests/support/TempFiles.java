package org.qimg.tests.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the temporary file of a running {@code qimg convert}: it may have no name (O_TMPFILE), so it is
 * looked up among the process's open descriptors ({@code /proc/PID/fd}), as well as by its hidden name
 * ({@code .DST.qimg-*.tmp}) in the destination's directory.
 */
public final class TempFiles {
    private TempFiles() {
    }

    /** Hidden temporary files of {@code dst} (a file name) in {@code dir}. */
    public static List<Path> hidden(Path dir, String dst) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + dst + ".qimg-")).toList();
        }
    }

    /**
     * Descriptors of process {@code pid} open on files in {@code dir} that are unnamed (deleted) or hidden
     * temporary files of {@code dst}, as {@code /proc/PID/fd/N} paths (which open and stat the file itself).
     */
    public static List<Path> openBy(long pid, Path dir, String dst) {
        List<Path> found = new ArrayList<>();
        String prefix;
        try {
            prefix = dir.toRealPath() + "/";
        } catch (IOException e) {
            return found;
        }
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : s.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (target.startsWith(prefix) && (target.endsWith(" (deleted)")
                        || target.substring(prefix.length()).startsWith("." + dst + ".qimg-"))) {
                    found.add(fd);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return found;
    }
}
