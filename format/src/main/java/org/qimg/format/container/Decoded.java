package org.qimg.format.container;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;

/**
 * The decompressed bytes of one container file, read from its start, with errors that name the file and
 * the offset in the compressed file the decoder had reached ({@code 'f.raw.xz': corrupt xz stream at
 * compressed byte 1048576: ...}; decoders read ahead, so the offset is where the damage was noticed, at most
 * one input buffer past it). When the container is a tar archive inside the stream, the bytes are those of
 * one member.
 */
final class Decoded extends InputStream {
    private static final int INPUT_BUFFER = 1 << 20;

    private final Path file;
    private final Codec codec;
    private final CountingInput counter;
    private final InputStream data;
    private final FileChannel channel;
    private long produced;

    private Decoded(Path file, Codec codec, FileChannel channel, CountingInput counter, InputStream data) {
        this.file = file;
        this.codec = codec;
        this.channel = channel;
        this.counter = counter;
        this.data = data;
    }

    /** Opens {@code file} and starts decoding it with {@code codec}. */
    static Decoded open(Path file, Codec codec) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        CountingInput counter = new CountingInput(
                new BufferedInputStream(Channels.newInputStream(ch), INPUT_BUFFER), 0);
        try {
            return new Decoded(file, codec, ch, counter, codec == null ? counter : codec.decoder(counter));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw failure(file, codec, counter.position(), e);
        }
    }

    /** The error for a decoder that failed at compressed offset {@code at}. */
    static ImageException failure(Path file, Codec codec, long at, Throwable e) {
        if (e instanceof ImageException ie) {
            return ie;
        }
        String kind = codec == null ? "tar" : codec.label();
        String why = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                : e.getMessage().strip();
        if (e instanceof EOFException || why.toLowerCase(java.util.Locale.ROOT).contains("truncated")
                || why.toLowerCase(java.util.Locale.ROOT).contains("end of")) {
            return new CorruptImageException(file.toString(), at, "truncated " + kind
                    + " stream (the compressed data ends early: " + why + ")");
        }
        return new CorruptImageException(file.toString(), at, "corrupt " + kind + " stream: " + why);
    }

    Path file() {
        return file;
    }

    Codec codec() {
        return codec;
    }

    /** Decompressed bytes returned so far. */
    long produced() {
        return produced;
    }

    /** Offset in the compressed file the decoder has read up to. */
    long compressedPosition() {
        return counter.position();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = data.read(b, off, len);
        } catch (IOException | RuntimeException e) {
            throw failure(file, codec, counter.position(), e);
        }
        if (n > 0) {
            produced += n;
        }
        return n;
    }

    /** Reads until {@code len} bytes or the end of the stream; returns how many were read. */
    int readFully(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = read(b, off + done, len - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    @Override
    public void close() throws IOException {
        try {
            data.close();
        } catch (IOException | RuntimeException e) {
            // the file channel below is closed either way
        } finally {
            channel.close();
        }
    }
}
