package org.qimg.tests.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout the tests run in (Failsafe runs in the tests module's directory). */
final class Repo {
    private Repo() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("samples/sample.qcow2")) && Files.isRegularFile(p.resolve("install.sh"))) {
                return p;
            }
        }
        throw new AssertionError("no qimg checkout above " + Path.of("").toAbsolutePath());
    }
}
