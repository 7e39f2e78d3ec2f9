package org.qimg.format;

import java.io.IOException;
import java.nio.file.Path;

/** One image format: recognises its files by their first bytes and opens them for reading. */
public interface ImageFormat {

    /** The name as qemu-img's {@code -f} spells it. */
    String name();

    /**
     * True when {@code header[0..length)} identify this format: the file's first 512 bytes, zero-padded
     * when the file is shorter (as QEMU's probe buffer). A match scores as QEMU's magic matches (100).
     */
    boolean matches(byte[] header, int length);

    /** Opens {@code path} for reading. */
    DiskImage open(Path path, OpenOptions options) throws IOException;
}
