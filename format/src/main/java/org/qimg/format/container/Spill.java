package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLimitException;
import org.qimg.format.io.UnnamedFiles;

/**
 * A temporary decompressed copy, for a format inside a container that needs random access the container
 * cannot give (qcow2 inside gzip, bzip2, lz4, single-block xz, single-frame zstd, a tar member inside a
 * compressed archive). It goes to {@code $TMPDIR} (or the JVM's temporary directory) as a file with no name
 * ({@link UnnamedFiles}): nothing is left behind however qimg ends, SIGKILL included, and the image reads it
 * through the returned channel (its messages name the container, never the copy). The free space is checked
 * first when the size is known, and while writing always (a "decompression bomb" stops with an error, leaving
 * {@link #RESERVE} bytes free).
 */
final class Spill {
    /** Space left free on the temporary file system whatever happens. */
    static final long RESERVE = 256L << 20;
    /** The prefix of the copy's name, on file systems where it has one for a moment. */
    static final String PREFIX = "qimg-unpacked-";
    private static final int BUFFER = 1 << 20;

    private Spill() {
    }

    static Path directory() {
        String env = System.getenv("TMPDIR");
        return Path.of(env != null && !env.isBlank() ? env : System.getProperty("java.io.tmpdir"));
    }

    /**
     * Decompresses {@code source} into a new unnamed temporary file and returns a channel on it (the caller
     * closes it, which frees the space). {@code why} says why the container is not read in place.
     */
    static FileChannel write(Sequential source, OptionalLong size, String what, String why) throws IOException {
        Path dir = directory();
        String verb = source.codec() != null ? "decompressing '" + source.file() + "'"
                : "copying member '" + source.member() + "' of '" + source.file() + "'";
        Containers.notice(verb + " into a temporary file in " + dir
                + (size.isPresent() ? " (" + size.getAsLong() + " bytes)" : "") + ": " + what + " needs random access"
                + (why == null ? "" : ", and " + why) + "; it is removed afterwards");
        if (size.isPresent()) {
            requireSpace(dir, size.getAsLong(), source, size);
        }
        FileChannel out;
        try {
            out = UnnamedFiles.create(dir, PREFIX);
        } catch (IOException e) {
            throw cannotWrite(source, dir, e);
        }
        boolean ok = false;
        try (Sequential.Reader r = source.open()) {
            byte[] buf = new byte[BUFFER];
            long written = 0;
            int n;
            while ((n = r.readFully(buf, 0, buf.length)) > 0) {
                if (written % (64L << 20) == 0) {
                    requireSpace(dir, BUFFER * 64L, source, size);
                }
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    out.write(b, written + b.position());
                }
                written += n;
            }
            ok = true;
            return out;
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw cannotWrite(source, dir, e);
        } finally {
            if (!ok) {
                out.close();
            }
        }
    }

    private static ImageException cannotWrite(Sequential source, Path dir, IOException e) {
        String why = e instanceof java.nio.file.NoSuchFileException ? "No such file or directory"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ImageException("Could not open '" + source.file() + "': cannot write its temporary decompressed "
                + "copy in " + dir + ": " + why + " (set TMPDIR to another directory)", e);
    }

    private static void requireSpace(Path dir, long need, Sequential source, OptionalLong size) throws IOException {
        long free;
        try {
            free = Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            throw cannotWrite(source, dir, e);
        }
        if (free - RESERVE < need) {
            throw new ImageLimitException("Could not open '" + source.file() + "': not enough space in " + dir
                    + " to decompress it (" + (size.isPresent() ? size.getAsLong() + " bytes needed, " : "")
                    + free + " bytes free, " + RESERVE + " kept free); set TMPDIR to a larger file system");
        }
    }
}
