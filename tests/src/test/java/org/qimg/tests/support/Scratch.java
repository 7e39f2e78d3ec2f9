package org.qimg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One temporary directory per test JVM, shared by the test classes so that images built once serve every
 * test that needs them; removed when the JVM exits (set -Dqimg.keepScratch=true to keep it for a look).
 */
public final class Scratch {
    private static Path root;

    private Scratch() {
    }

    public static synchronized Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("qimg-tests-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!Boolean.getBoolean("qimg.keepScratch")) {
                Path r = root;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(r)));
            }
        }
        return root;
    }

    /** A subdirectory of the shared scratch directory, created if needed. */
    public static Path dir(String name) {
        try {
            return Files.createDirectories(root().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
