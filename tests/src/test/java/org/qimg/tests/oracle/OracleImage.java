package org.qimg.tests.oracle;

import java.nio.file.Path;
import java.util.List;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Scratch;

/**
 * One image of the oracle matrix, built by the real qemu-img/qemu-io on first use and then shared by every
 * test that uses it. A recipe that fails makes only the tests of this image fail.
 */
public final class OracleImage {
    /** Builds the image in {@code dir} with {@code qemu} (whose working directory is {@code dir}). */
    @FunctionalInterface
    public interface Recipe {
        Path build(Qemu qemu, Path dir) throws Exception;
    }

    private final String name;
    private final String format;
    private final List<String> snapshots;
    private final Recipe recipe;
    private Path path;
    private Throwable failure;

    OracleImage(String name, String format, List<String> snapshots, Recipe recipe) {
        this.name = name;
        this.format = format;
        this.snapshots = List.copyOf(snapshots);
        this.recipe = recipe;
    }

    public String name() {
        return name;
    }

    /** The format qemu-img reports for the image ("qcow2" or "raw"). */
    public String format() {
        return format;
    }

    /** Names of the internal snapshots the recipe makes, oldest first. */
    public List<String> snapshots() {
        return snapshots;
    }

    /** The directory the image (and its backing files) lives in. */
    public Path dir() {
        return Scratch.dir("images/" + name);
    }

    /** The image file, built on first call. */
    public synchronized Path path() {
        if (path == null && failure == null) {
            try {
                Path dir = dir();
                path = recipe.build(new Qemu(dir), dir).toAbsolutePath();
            } catch (Throwable t) {
                failure = t;
            }
        }
        if (failure != null) {
            throw new AssertionError("building image " + name + " with qemu failed", failure);
        }
        return path;
    }

    @Override
    public String toString() {
        return name;
    }
}
