package org.qimg.converters.ova;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The one step that makes the OVA's disk: writes a streamOptimized VMDK into {@code channel}, a new empty
 * file ({@code path} opens the same file, e.g. for a tool that wants a path), and says what it wrote. The
 * packager owns the file: it digests what goes through {@code channel}, removes the file on failure and
 * copies it into the archive on success. {@link OvaConvert} runs the convert pipeline here; tests may put
 * a disk made by another tool through the same step.
 */
@FunctionalInterface
public interface DiskWriter {
    DiskFacts write(FileChannel channel, Path path) throws IOException;
}
