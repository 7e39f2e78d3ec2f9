package org.qimg.converters.convert;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qimg.format.ImageException;
import org.qimg.format.io.NamedChannel;

/**
 * {@code convert ... SRC -} when it is not streamed (qcow2 is streamed in two passes by {@link StreamedQcow2},
 * raw in one by {@link RawStreamWriter}): a qcow2 image of a source that can be read only once in order, with
 * {@code --verify}, another format (vmdk), or a compressed container. The target is first written exactly as to a
 * file — the same writer, so the bytes are the same — into a temporary file in {@code $TMPDIR} that has no
 * name where the file system allows ({@code O_TMPFILE}: a killed process leaves nothing), then copied to
 * stdout from its first byte to its last, holes as zeros. The cost is disk space for the output (for raw,
 * only its data: the temporary file is sparse) and one extra write and read of it; qcow2's metadata at the
 * front is only final when the last cluster is placed, so a one-pass stream could not be byte-identical.
 * A reader that closes the pipe early ends the copy with a one-line error (EPIPE).
 */
final class StdoutOutput implements AutoCloseable {
    /** The destination name that means standard output. */
    static final String NAME = "-";
    private static final Path SHOWN = Path.of("-");
    private static final int COPY = 1 << 20;

    private final TempFile temp;
    private final Path portable;
    private final FileChannel channel;

    private StdoutOutput(TempFile temp, Path portable, FileChannel channel) {
        this.temp = temp;
        this.portable = portable;
        this.channel = channel;
    }

    static boolean names(Path destination) {
        return destination.toString().equals(NAME);
    }

    static StdoutOutput create() throws IOException {
        String env = System.getenv("TMPDIR");
        Path dir = Path.of(env != null && !env.isBlank() ? env : System.getProperty("java.io.tmpdir"));
        TempFile t = null;
        try {
            t = HostFileOps.available() ? TempFile.create(dir, "qimg-stdout", 0600)
                    : TempFile.createPortable(dir, "qimg-stdout");
            Path portable = HostFileOps.available() ? null : t.openPath();
            if (portable != null) {
                portable.toFile().deleteOnExit();
            }
            return new StdoutOutput(t, portable, NamedChannel.wrap(t.openChannel(), SHOWN));
        } catch (HostFileOps.NativeError | IOException e) {
            if (t != null) {
                t.deleteName();
                t.close();
            }
            throw new ImageException("Could not create a temporary file in " + dir + " for the output to "
                    + "standard output: " + e.getMessage() + " (set TMPDIR to a writable directory)", e);
        }
    }

    /** A path the written image can be opened by (for --verify). */
    Path path() {
        return portable != null ? portable : temp.openPath();
    }

    FileChannel channel() {
        return channel;
    }

    /** Copies the whole written image to standard output, compressed into {@code container} if not null. */
    void copyToStdout(OutputContainer container, int threads) throws IOException {
        copy(new FileOutputStream(FileDescriptor.out), SHOWN, true, container, threads);
    }

    /** Copies the whole written image into {@code out} (the new DST), compressed into {@code container}. */
    void copyInto(FileChannel out, Path destination, OutputContainer container, int threads) throws IOException {
        out.truncate(0);
        // the container's close finishes it; the channel itself stays open for SafeOutput to seal
        OutputStream keepOpen = new java.io.FilterOutputStream(Channels.newOutputStream(NamedChannel.wrap(out,
                destination))) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
        copy(keepOpen, destination, false, container, threads);
    }

    private void copy(OutputStream sink, Path shown, boolean pipe, OutputContainer container, int threads)
            throws IOException {
        byte[] buf = new byte[COPY];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        long size = channel.size();
        long pos = 0;
        OutputStream out = null;
        try {
            out = container == null ? sink : container.wrap(sink, threads);
            while (pos < size) {
                bb.clear().limit((int) Math.min(COPY, size - pos));
                while (bb.hasRemaining()) {
                    if (channel.read(bb, pos + bb.position()) < 0) {
                        throw new ImageException("'" + shown + "': the temporary output ended early at byte " + pos);
                    }
                }
                out.write(buf, 0, bb.limit());
                pos += bb.limit();
            }
            if (container != null) {
                out.close(); // finishes the container
            } else {
                out.flush();
            }
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            if (pipe) {
                throw StdoutStream.writeError(pos, e);
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ImageException("'" + shown + "': error while writing: " + why, e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            temp.deleteName();
            temp.close();
            if (portable != null) {
                Files.deleteIfExists(portable);
            }
        }
    }
}
