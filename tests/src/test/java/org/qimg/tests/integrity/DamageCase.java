package org.qimg.tests.integrity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A named way to damage one of a test's base images ({@code DIR/BASE.qcow2}, made by qemu-img), for the
 * parameterized damage tests; the name is what JUnit shows.
 */
record DamageCase(String name, String base, Damage damage) {
    /** Edits the copy in place. */
    interface Damage {
        void apply(Qcow2Edit e) throws IOException;
    }

    /** A damaged copy of the base image in {@code dir}, named after the case plus {@code suffix}. */
    Path applyTo(Path dir, String suffix) throws IOException {
        Path p = dir.resolve(name.replaceAll("[^a-zA-Z0-9]+", "_") + suffix + ".qcow2");
        Files.copy(dir.resolve(base + ".qcow2"), p, StandardCopyOption.REPLACE_EXISTING);
        try (Qcow2Edit e = new Qcow2Edit(p)) {
            damage.apply(e);
        }
        return p;
    }

    @Override
    public String toString() {
        return name;
    }
}
