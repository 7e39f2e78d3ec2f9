package org.qimg.format.container;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;

/**
 * Bytes that can only be read in order, from the start, as often as needed: the decompressed content of a
 * compressed file, or of one member of a tar archive inside it. Each {@link #open()} starts again.
 *
 * @param file   the compressed file
 * @param codec  its compression
 * @param member the tar member inside the decompressed stream to read, or null for the whole stream
 */
record Sequential(Path file, Codec codec, String member) {

    /** The word messages use for the stream: the codec, or "tar" for a plain archive. */
    String kind() {
        return codec == null ? "tar" : codec.label();
    }

    /** A reader at the first byte. */
    Reader open() throws IOException {
        if (codec == Codec.XZ && member == null) {
            UncompressedSize.XzIndex index = UncompressedSize.xzIndex(file);
            int threads = ParallelXz.threadsFor(index);
            if (threads > 0) {
                ParallelXz px = ParallelXz.open(file, index, threads);
                return new Reader(px, px, px::compressedPosition);
            }
        }
        Decoded d = Decoded.open(file, codec);
        if (member == null) {
            return new Reader(d, d, d::compressedPosition);
        }
        try {
            TarArchiveInputStream tar = new TarArchiveInputStream(d);
            TarArchiveEntry e;
            while ((e = nextEntry(tar, d)) != null) {
                if (e.isFile() && TarListing.name(e).equals(member)) {
                    return new Reader(tar, d, d::compressedPosition);
                }
            }
            throw new ImageException(file + ": the archive has no member '" + member + "'");
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    static TarArchiveEntry nextEntry(TarArchiveInputStream tar, Decoded d) throws IOException {
        try {
            return tar.getNextTarEntry();
        } catch (ImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptImageException(d.file().toString(), d.compressedPosition(), "corrupt tar archive"
                    + (d.codec() == null ? "" : " inside the " + d.codec().label() + " stream (near uncompressed byte "
                    + d.produced() + ")") + ": " + e.getMessage());
        }
    }

    /** A place in the bytes; errors name the compressed file and the offset in it. */
    final class Reader implements Closeable {
        private final InputStream in;
        private final Closeable closer;
        private final java.util.function.LongSupplier position;

        Reader(InputStream in, Closeable closer, java.util.function.LongSupplier position) {
            this.in = in;
            this.closer = closer;
            this.position = position;
        }

        /** Reads until {@code len} bytes or the end; returns how many were read. */
        int readFully(byte[] b, int off, int len) throws IOException {
            int done = 0;
            while (done < len) {
                int n;
                try {
                    n = in.read(b, off + done, len - done);
                } catch (ImageException e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw Decoded.failure(file, codec, position.getAsLong(), e);
                }
                if (n < 0) {
                    break;
                }
                done += n;
            }
            return done;
        }

        /** True when the bytes have ended (reads one byte ahead to know). */
        boolean atEnd() throws IOException {
            byte[] one = new byte[1];
            return readFully(one, 0, 1) == 0;
        }

        long compressedPosition() {
            return position.getAsLong();
        }

        @Override
        public void close() throws IOException {
            closer.close();
        }
    }
}
