package org.qimg.format.container;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.qimg.format.CorruptImageException;
import org.qimg.format.ImageException;
import org.tukaani.xz.SeekableFileInputStream;
import org.tukaani.xz.SeekableXZInputStream;
import org.tukaani.xz.XZFormatException;

/**
 * How many bytes a compressed file decompresses to. xz records it in its index and zstd in each frame header
 * (when the tool knew the input size), so those cost a few reads at the end or per frame. gzip (its trailer
 * keeps the size modulo 4 GiB only), bzip2 and lz4 (its content-size field is optional and off by default)
 * do not record it reliably: the file is decompressed once, counting, without storing anything — the
 * price of knowing a raw disk's size before converting it.
 */
final class UncompressedSize {
    private UncompressedSize() {
    }

    /** What the container's own metadata says, without decompressing; empty when it does not say. */
    static OptionalLong recorded(Path file, Codec codec) throws IOException {
        return switch (codec) {
            case XZ -> OptionalLong.of(xzIndex(file).length);
            case ZSTD -> ZstdFrames.contentSize(file);
            default -> OptionalLong.empty();
        };
    }

    /** The length, block count and largest block (uncompressed) from an xz file's index (all its streams). */
    record XzIndex(long length, int blocks, long largestBlock) {
    }

    static XzIndex xzIndex(Path file) throws IOException {
        try (SeekableFileInputStream in = new SeekableFileInputStream(file.toFile());
             SeekableXZInputStream xz = new SeekableXZInputStream(in, Codec.XZ_MEMORY_LIMIT_KIB)) {
            long largest = 0;
            for (int i = 0; i < xz.getBlockCount(); i++) {
                largest = Math.max(largest, xz.getBlockSize(i));
            }
            return new XzIndex(xz.length(), xz.getBlockCount(), largest);
        } catch (XZFormatException e) {
            throw new CorruptImageException(file.toString(), 0, "not an xz file: " + e.getMessage());
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            // the index sits at the end of the file: a truncated or damaged file fails here
            long size = java.nio.file.Files.size(file);
            throw new CorruptImageException(file.toString(), size, "truncated or corrupt xz file: its index at "
                    + "the end cannot be read (" + e.getMessage() + ")");
        }
    }

    /** Decompresses {@code source} once, counting bytes; memory is one buffer, nothing is stored. */
    static long count(Sequential source) throws IOException {
        byte[] buf = new byte[1 << 20];
        long total = 0;
        try (Sequential.Reader r = source.open()) {
            int n;
            while ((n = r.readFully(buf, 0, buf.length)) > 0) {
                total = Math.addExact(total, n);
            }
        }
        return total;
    }
}
