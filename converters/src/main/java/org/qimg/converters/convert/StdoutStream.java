package org.qimg.converters.convert;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.qimg.format.ImageException;

/**
 * Standard output as a sink of bytes in order, counting them: a write error (EPIPE when the reader has gone)
 * becomes the one-line error {@link #writeError} words, naming the byte of the stream where it happened.
 */
final class StdoutStream implements MetadataPages.Sink {
    /** Pieces smaller than this are gathered (metadata pages, compressed payloads) into one write. */
    private static final int GATHER = 64 << 10;
    private static final int STAGING = 1 << 20;

    private final WritableByteChannel out;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING);
    private long written;

    StdoutStream(WritableByteChannel out) {
        this.out = out;
    }

    /** Standard output of this process (file descriptor 1). */
    static StdoutStream open() {
        return new StdoutStream(new FileOutputStream(FileDescriptor.out).getChannel());
    }

    /** Sends {@code bytes} after everything before; small pieces may wait for {@link #flush}. */
    @Override
    public void accept(ByteBuffer bytes) throws IOException {
        if (bytes.remaining() < GATHER) {
            if (bytes.remaining() > staging.remaining()) {
                flush();
            }
            staging.put(bytes);
            return;
        }
        flush();
        send(bytes);
    }

    /** Sends what is gathered. */
    void flush() throws IOException {
        staging.flip();
        send(staging);
        staging.clear();
    }

    private void send(ByteBuffer bytes) throws IOException {
        try {
            while (bytes.hasRemaining()) {
                written += out.write(bytes);
            }
        } catch (IOException e) {
            throw writeError(written, e);
        }
    }

    long written() {
        return written;
    }

    /**
     * The error of a failed write to standard output at byte {@code pos} of the stream:
     * {@code error while writing to standard output at byte N: Broken pipe (the reader closed the pipe before
     * the image was complete)}.
     */
    static ImageException writeError(long pos, IOException e) {
        if (e instanceof ImageException ie) {
            return ie;
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ImageException("error while writing to standard output at byte " + pos + ": " + why
                + (why.contains("Broken pipe") ? " (the reader closed the pipe before the image was complete)" : ""), e);
    }
}
