package org.qimg.format.container;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;

/**
 * A temporary decompressed copy, for a format inside a container that needs random access the container
 * cannot give (qcow2 inside gzip, bzip2, lz4, single-block xz, zstd). It goes to {@code $TMPDIR} (or the
 * JVM's temporary directory); the free space is checked first when the size is known, and while writing
 * always (a "decompression bomb" stops with an error, leaving {@link #RESERVE} bytes free). The copy is
 * removed when the image is closed, when writing it fails, and at JVM exit (Ctrl-C, SIGTERM).
 */
final class Spill {
    /** Space left free on the temporary file system whatever happens. */
    static final long RESERVE = 256L << 20;
    private static final int BUFFER = 1 << 20;

    private Spill() {
    }

    static Path directory() {
        String env = System.getenv("TMPDIR");
        return Path.of(env != null && !env.isBlank() ? env : System.getProperty("java.io.tmpdir"));
    }

    /** Decompresses {@code source} into a new temporary file and returns it. */
    static Path write(Sequential source, OptionalLong size, String what) throws IOException {
        Path dir = directory();
        if (size.isPresent()) {
            requireSpace(dir, size.getAsLong(), source, size);
        }
        String verb = source.codec() != null ? "decompressing '" + source.file() + "'"
                : "copying member '" + source.member() + "' of '" + source.file() + "'";
        Containers.notice(verb + " into a temporary file in " + dir + " ("
                + what + " needs random access" + (size.isPresent() ? ", " + size.getAsLong() + " bytes" : "")
                + "); it is removed afterwards");
        Path tmp = Files.createTempFile(dir, "qimg-unpacked-", ".tmp");
        tmp.toFile().deleteOnExit();
        boolean ok = false;
        try (Sequential.Reader r = source.open(); OutputStream out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[BUFFER];
            long written = 0;
            int n;
            while ((n = r.readFully(buf, 0, buf.length)) > 0) {
                if (written % (64L << 20) == 0) {
                    requireSpace(dir, BUFFER * 64L, source, size);
                }
                out.write(buf, 0, n);
                written += n;
            }
            ok = true;
            return tmp;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void requireSpace(Path dir, long need, Sequential source, OptionalLong size) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free - RESERVE < need) {
            throw new ImageLimitException("Could not open '" + source.file() + "': not enough space in " + dir
                    + " to decompress it (" + (size.isPresent() ? size.getAsLong() + " bytes needed, " : "")
                    + free + " bytes free, " + RESERVE + " kept free); set TMPDIR to a larger file system");
        }
    }
}
