package org.qimg.tests.support;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Deterministic guest content for images whose bytes qemu-io's constant patterns cannot vary enough (the
 * compressed images need incompressible, compressible and zero clusters side by side).
 */
public final class Content {
    private static final byte[] WORDS = ("lorem ipsum dolor sit amet qcow2 cluster refcount table snapshot "
            + "backing file zlib zstd sector offset \n").getBytes(StandardCharsets.US_ASCII);

    private Content() {
    }

    /**
     * Writes a raw file of {@code size} bytes made of 4 KiB blocks of several kinds chosen by {@code seed}:
     * left as a hole (reads as zero), random bytes, text, a repeated byte, half text/half zero, and an
     * explicitly written all-zero block. The last block is always data so the file ends in data.
     */
    public static void writeMixed(Path file, long size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] block = new byte[4096];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
            for (long off = 0; off < size; off += block.length) {
                int len = (int) Math.min(block.length, size - off);
                boolean last = off + block.length >= size;
                int kind = last ? 1 : rnd.nextInt(6);
                switch (kind) {
                    case 0 -> { continue; } // hole
                    case 1 -> fillRandom(rnd, block);
                    case 2 -> fillText(rnd, block, block.length);
                    case 3 -> java.util.Arrays.fill(block, (byte) rnd.nextInt(1, 256));
                    case 4 -> {
                        java.util.Arrays.fill(block, (byte) 0);
                        fillText(rnd, block, block.length / 2);
                    }
                    default -> java.util.Arrays.fill(block, (byte) 0);
                }
                f.seek(off);
                f.write(block, 0, len);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code len} random bytes at {@code off} into an existing file (growing it if needed). */
    public static void writeRandomAt(Path file, long off, int len, long seed) {
        byte[] b = new byte[len];
        fillRandom(new SplittableRandom(seed), b);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(off);
            f.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fillRandom(SplittableRandom rnd, byte[] b) {
        for (int i = 0; i < b.length; i += 8) {
            long v = rnd.nextLong();
            for (int j = 0; j < 8 && i + j < b.length; j++) {
                b[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }

    private static void fillText(SplittableRandom rnd, byte[] b, int len) {
        int start = rnd.nextInt(WORDS.length);
        for (int i = 0; i < len; i++) {
            b[i] = WORDS[(start + i) % WORDS.length];
        }
    }
}
