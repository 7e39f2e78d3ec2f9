package org.qimg.format.container;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.qimg.format.CorruptImageException;

/**
 * The decompressed bytes of a compressed file cut into pieces that decode on their own (xz blocks, zstd
 * frames), located by the container's index: piece {@code i} holds uncompressed bytes
 * {@code [start(i), start(i) + size(i))} and begins at byte {@link #compressedOffset(int)} of the file. With it
 * any byte can be read by decoding one piece ({@link BlockCache}), which is what a format that needs random
 * access (qcow2, vmdk) asks of a file.
 *
 * <p>Every piece is at most {@link #MAX_BLOCK} bytes (larger ones are refused when the index is built, and the
 * caller falls back to a temporary copy), so a decoded piece always fits an {@code int}-sized array.
 * {@link #decode} is safe from several threads at once.
 */
abstract class BlockIndex implements Closeable {
    /**
     * Largest piece decoded into memory: 64 MiB. {@code xz -T0} writes blocks of three times the dictionary
     * (24 MiB at the default level 6, 192 MiB at {@code -9}); a file with larger pieces is copied instead.
     */
    static final int MAX_BLOCK = 64 << 20;
    /** Pieces an index may list (its arrays cost 20 bytes each): 1 Mi pieces, 24 MiB of index at most. */
    static final int MAX_BLOCKS = 1 << 20;

    private final Path file;
    private final long[] starts;
    private final int[] sizes;
    private final long[] compressed;
    private final long length;

    /**
     * @param starts     uncompressed offset of each piece, ascending from 0, each the previous one's end
     * @param sizes      uncompressed size of each piece, each in {@code [1, MAX_BLOCK]}
     * @param compressed offset of each piece in the file
     */
    BlockIndex(Path file, long[] starts, int[] sizes, long[] compressed, long length) {
        this.file = file;
        this.starts = starts;
        this.sizes = sizes;
        this.compressed = compressed;
        this.length = length;
    }

    /** The compressed file. */
    final Path file() {
        return file;
    }

    /** "xz", "zstd": the word for the compression in messages. */
    abstract String kind();

    /** "block", "frame": the word for one piece in messages. */
    abstract String pieceName();

    /** Number of pieces. */
    final int count() {
        return sizes.length;
    }

    /** The decompressed length. */
    final long length() {
        return length;
    }

    final long start(int i) {
        return starts[i];
    }

    final int size(int i) {
        return sizes[i];
    }

    final long compressedOffset(int i) {
        return compressed[i];
    }

    /** The largest piece. */
    final int largest() {
        int m = 0;
        for (int s : sizes) {
            m = Math.max(m, s);
        }
        return m;
    }

    /** The piece holding uncompressed byte {@code pos} ({@code 0 <= pos < length()}). */
    final int pieceAt(long pos) {
        int i = Arrays.binarySearch(starts, pos);
        return i >= 0 ? i : -i - 2;
    }

    /**
     * Decodes piece {@code i} into {@code into[0, size(i))}, verifying its integrity check where the container
     * has one. Errors name the file and the piece's offset in it.
     */
    abstract void decode(int i, byte[] into) throws IOException;

    /** The error for piece {@code i} that failed to decode. */
    final CorruptImageException failure(int i, Throwable e) {
        if (e instanceof DecodeFailure d) {
            return d;
        }
        String why = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName()
                : e.getMessage().strip();
        return new DecodeFailure(file.toString(), compressed[i], "corrupt " + kind() + " stream in "
                + pieceName() + " " + i + " of " + count() + " (uncompressed bytes " + starts[i] + ".."
                + (starts[i] + sizes[i]) + "): " + why);
    }

    /** An index, or why there is none to use (the caller then makes a temporary copy). */
    record Found(BlockIndex index, String whyNot) {
        static Found no(String why) {
            return new Found(null, why);
        }
    }

    /**
     * Checks what a subclass's index gives: pieces that follow one another from 0 to {@code length}, each of
     * 1 to {@link #MAX_BLOCK} bytes, at most {@link #MAX_BLOCKS} of them; returns null when they do, else why
     * not (the caller then copies the file).
     */
    static String unusable(long[] starts, int[] sizes, long length) {
        if (sizes.length < 2) {
            return "one " + (sizes.length == 0 ? "empty " : "") + "piece";
        }
        long end = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (starts[i] != end || sizes[i] <= 0) {
                return "its index is inconsistent at piece " + i;
            }
            end += sizes[i];
        }
        return end == length ? null : "its index is inconsistent (pieces end at " + end + ", not " + length + ")";
    }
}
