package org.qimg.format.codec;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Expands one whole zlib stream (RFC 1950: deflate with the zlib header and the Adler-32 trailer), as zlib's
 * {@code uncompress()} does: the stream must end, header and checksum must be right, and its output must fit
 * the destination. This is how a VMDK stores a compressed grain (QEMU writes it with {@code compress()} and
 * reads it with {@code uncompress()}). Bytes after the end of the stream are ignored. An instance holds codec
 * state: use it from one thread at a time and {@link #close()} it when done.
 */
public final class ZlibStreamDecompressor implements AutoCloseable {
    private final Inflater inflater = new Inflater(false);

    /**
     * Decompresses the stream at the start of {@code src} into {@code dst}, and returns the number of bytes it
     * expanded to (dst's position advances by as many).
     *
     * @throws DataFormatException when the stream is malformed (bad header, bad checksum, a preset dictionary),
     *                             ends before its end marker, or expands to more than {@code dst} holds
     */
    public int decompress(ByteBuffer src, ByteBuffer dst) throws DataFormatException {
        inflater.reset();
        inflater.setInput(src);
        int start = dst.position();
        while (!inflater.finished()) {
            if (!dst.hasRemaining()) {
                // uncompress() says Z_BUF_ERROR when the output is full and the stream has not ended; a stream
                // whose data ends exactly at the end of dst still has its end marker and checksum to read
                ByteBuffer probe = ByteBuffer.allocate(1);
                if (inflater.inflate(probe) > 0 || !inflater.finished()) {
                    throw new DataFormatException("zlib stream expands to more than " + (dst.position() - start)
                            + " bytes");
                }
                break;
            }
            int n = inflater.inflate(dst);
            if (n == 0 && !inflater.finished()) {
                if (inflater.needsDictionary()) {
                    throw new DataFormatException("zlib stream needs a preset dictionary");
                }
                if (inflater.needsInput()) {
                    throw new DataFormatException("zlib stream is truncated after " + (dst.position() - start)
                            + " bytes of output");
                }
            }
        }
        return dst.position() - start;
    }

    @Override
    public void close() {
        inflater.end();
    }
}
