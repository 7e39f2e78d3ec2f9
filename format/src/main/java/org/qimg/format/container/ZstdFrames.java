package org.qimg.format.container;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.qimg.format.CorruptImageException;

/**
 * The frame layout of a zstd file (RFC 8878, section 3.1), walked without decompressing: frame headers and
 * block headers only. Each on-disk fact of the format qimg relies on is here.
 */
final class ZstdFrames {
    static final int FRAME_MAGIC = 0xFD2FB528;
    /** Skippable frames: 0x184D2A50 .. 0x184D2A5F, then a 4-byte little-endian size. */
    static final int SKIPPABLE_MASK = 0xFFFFFFF0;
    static final int SKIPPABLE_MAGIC = 0x184D2A50;
    /** Block types (2 bits of the 3-byte block header): raw, RLE, compressed, reserved. */
    static final int BLOCK_RLE = 1;
    static final int BLOCK_RESERVED = 3;
    /** A block never exceeds 128 KiB of content. */
    static final int BLOCK_MAX = 128 * 1024;
    /**
     * The seekable format (zstd's contrib/seekable_format): its last frame is a skippable frame with this magic
     * holding one entry per frame (compressed size, decompressed size, optionally a checksum: 4 bytes each,
     * little-endian), then a 9-byte footer: the number of frames (4), a descriptor (1: bit 7 checksums present,
     * bits 2..6 reserved, zero) and {@link #SEEK_TABLE_FOOTER_MAGIC} (4).
     */
    static final int SEEK_TABLE_MAGIC = 0x184D2A5E;
    static final int SEEK_TABLE_FOOTER_MAGIC = 0x8F92EAB1;
    static final int SEEK_TABLE_FOOTER = 9;

    private ZstdFrames() {
    }

    /** One frame: where it starts and ends in the file, and its content size (-1 when the header has none). */
    record Frame(long offset, long end, long contentSize) {
    }

    /**
     * The total decompressed size when every frame records its content size, else empty (the zstd tool
     * records it whenever it compresses a file; a stream piped into it has none).
     */
    static OptionalLong contentSize(Path file) throws IOException {
        long[] total = {0};
        boolean[] known = {true};
        walk(file, f -> {
            if (f.contentSize() < 0) {
                known[0] = false;
                return false;
            }
            total[0] = Math.addExact(total[0], f.contentSize());
            return true;
        });
        return known[0] ? OptionalLong.of(total[0]) : OptionalLong.empty();
    }

    /**
     * The frames of {@code file} (skippable frames left out), or null when there are more than {@code max}:
     * the walk stops there, so its cost is bounded by {@code max} frames' block headers.
     */
    static List<Frame> frames(Path file, int max) throws IOException {
        List<Frame> out = new ArrayList<>();
        boolean complete = walk(file, f -> {
            if (out.size() >= max) {
                return false;
            }
            out.add(f);
            return true;
        });
        return complete ? out : null;
    }

    /** One entry of a seek table. */
    record SeekEntry(long compressedSize, long decompressedSize) {
    }

    /**
     * The entries of the seek table that ends {@code file} (the seekable format), or null when the file does not
     * end with one; at most {@code max} entries (more is an error: the table is not used).
     */
    static List<SeekEntry> seekTable(Path file, int max) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8 + SEEK_TABLE_FOOTER) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
            long footer = size - SEEK_TABLE_FOOTER;
            if (readInt(ch, b, footer + 5, file) != SEEK_TABLE_FOOTER_MAGIC) {
                return null;
            }
            long frames = Integer.toUnsignedLong(readInt(ch, b, footer, file));
            int descriptor = readByte(ch, b, footer + 4, file);
            if ((descriptor & 0x7c) != 0) {
                throw new CorruptImageException(file.toString(), footer + 4, "zstd seek table descriptor has reserved "
                        + "bits set (0x" + Integer.toHexString(descriptor) + ")");
            }
            int entry = (descriptor & 0x80) != 0 ? 12 : 8;
            if (frames > max) {
                throw new CorruptImageException(file.toString(), footer, "zstd seek table lists " + frames
                        + " frames, more than the " + max + " qimg reads");
            }
            long tableSize = frames * entry + SEEK_TABLE_FOOTER;
            long start = size - tableSize - 8;
            if (start < 0 || readInt(ch, b, start, file) != SEEK_TABLE_MAGIC
                    || Integer.toUnsignedLong(readInt(ch, b, start + 4, file)) != tableSize) {
                throw new CorruptImageException(file.toString(), Math.max(0, start), "zstd seek table of " + frames
                        + " frames does not start with its skippable frame header");
            }
            ByteBuffer t = ByteBuffer.allocate((int) (frames * entry)).order(ByteOrder.LITTLE_ENDIAN);
            while (t.hasRemaining()) {
                if (ch.read(t, start + 8 + t.position()) < 0) {
                    throw new CorruptImageException(file.toString(), size, "truncated zstd seek table");
                }
            }
            List<SeekEntry> out = new ArrayList<>();
            for (int i = 0; i < frames; i++) {
                out.add(new SeekEntry(Integer.toUnsignedLong(t.getInt(i * entry)),
                        Integer.toUnsignedLong(t.getInt(i * entry + 4))));
            }
            return out;
        }
    }

    /** Told each frame in order; returns false to stop the walk. */
    private interface Visitor {
        boolean frame(Frame f);
    }

    /** Walks the frames of {@code file} until {@code v} says stop; true when it reached the end of the file. */
    private static boolean walk(Path file, Visitor v) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = 0;
            ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
            while (pos < size) {
                int magic = readInt(ch, b, pos, file);
                if ((magic & SKIPPABLE_MASK) == SKIPPABLE_MAGIC) {
                    long len = Integer.toUnsignedLong(readInt(ch, b, pos + 4, file));
                    pos = Math.addExact(pos, 8 + len);
                    continue;
                }
                if (magic != FRAME_MAGIC) {
                    throw new CorruptImageException(file.toString(), pos, "not a zstd frame (magic 0x"
                            + Integer.toHexString(magic) + ")");
                }
                long start = pos;
                int fhd = readByte(ch, b, pos + 4, file);
                int fcsFlag = fhd >>> 6;
                boolean single = (fhd & 0x20) != 0;
                boolean checksum = (fhd & 0x04) != 0;
                int dictBytes = switch (fhd & 3) { case 0 -> 0; case 1 -> 1; case 2 -> 2; default -> 4; };
                int fcsBytes = switch (fcsFlag) { case 0 -> single ? 1 : 0; case 1 -> 2; case 2 -> 4; default -> 8; };
                long at = pos + 5 + (single ? 0 : 1) + dictBytes;
                long fcs = fcsBytes == 0 ? -1 : readLe(ch, b, at, fcsBytes, file);
                if (fcsBytes == 2) {
                    fcs += 256;
                }
                if (fcsBytes == 8 && fcs < 0) {
                    throw new CorruptImageException(file.toString(), at, "zstd frame content size out of range");
                }
                pos = at + fcsBytes;
                boolean last = false;
                while (!last) {
                    int bh = (int) readLe(ch, b, pos, 3, file);
                    last = (bh & 1) != 0;
                    int type = (bh >>> 1) & 3;
                    int bsize = bh >>> 3;
                    if (type == BLOCK_RESERVED || bsize > BLOCK_MAX) {
                        throw new CorruptImageException(file.toString(), pos, "corrupt zstd block header");
                    }
                    pos = Math.addExact(pos, 3 + (type == BLOCK_RLE ? 1 : bsize));
                    if (pos > size) {
                        throw new CorruptImageException(file.toString(), size, "truncated zstd stream (the file "
                                + "ends inside a block that needs " + (pos - size) + " more bytes)");
                    }
                }
                if (checksum) {
                    pos += 4;
                }
                if (pos > size) {
                    throw new CorruptImageException(file.toString(), size, "truncated zstd stream (the last frame "
                            + "needs " + (pos - size) + " more bytes)");
                }
                if (!v.frame(new Frame(start, pos, fcs))) {
                    return false;
                }
            }
            if (pos > size) {
                throw new CorruptImageException(file.toString(), size, "truncated zstd stream (a skippable frame "
                        + "needs " + (pos - size) + " more bytes)");
            }
            return true;
        }
    }

    private static int readInt(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
        return (int) readLe(ch, b, pos, 4, file);
    }

    private static int readByte(FileChannel ch, ByteBuffer b, long pos, Path file) throws IOException {
        return (int) readLe(ch, b, pos, 1, file);
    }

    private static long readLe(FileChannel ch, ByteBuffer b, long pos, int n, Path file) throws IOException {
        b.clear().limit(n);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new CorruptImageException(file.toString(), Math.min(pos, ch.size()), "truncated zstd stream (the file ends "
                        + "inside a frame header)");
            }
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b.get(i) & 0xff);
        }
        return v;
    }
}
