package org.qimg.format.probe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import org.qimg.format.FileOpenException;
import org.qimg.format.io.Positional;

/**
 * What a probe looks at, as QEMU 7.2's {@code find_image_format} gathers it: the first
 * {@link #SIZE} bytes of the file, zero-padded when the file is shorter, and the file's name. qimg also
 * keeps the last {@link #SIZE} bytes (for trailers QEMU does not probe: a fixed VHD's footer, a DMG's
 * koly block) and the file size.
 *
 * @param head first 512 bytes, zero-padded (QEMU's probe buffer, {@code BLOCK_PROBE_BUF_SIZE})
 * @param tail last 512 bytes, or null when the file is shorter than 512 bytes
 * @param size file length in bytes
 * @param fileName the file name as given (QEMU's dmg probe looks at its suffix)
 */
public record ProbeBytes(byte[] head, byte[] tail, long size, String fileName) {
    public static final int SIZE = 512;

    public ProbeBytes {
        if (head.length != SIZE || (tail != null && tail.length != SIZE)) {
            throw new IllegalArgumentException("probe buffers must be " + SIZE + " bytes");
        }
    }

    /** Probe bytes for an in-memory file (tests, and callers that already hold the bytes). */
    public static ProbeBytes of(byte[] file, String fileName) {
        byte[] head = new byte[SIZE];
        System.arraycopy(file, 0, head, 0, Math.min(SIZE, file.length));
        byte[] tail = null;
        if (file.length >= SIZE) {
            tail = new byte[SIZE];
            System.arraycopy(file, file.length - SIZE, tail, 0, SIZE);
        }
        return new ProbeBytes(head, tail, file.length, fileName);
    }

    /**
     * Reads the head and tail of {@code path}; the caller has checked that it is not a FIFO or socket. A
     * block device may report size 0: its head is read until end of file all the same, and it has no tail.
     */
    public static ProbeBytes read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            byte[] head = new byte[SIZE];
            ByteBuffer dst = ByteBuffer.wrap(head);
            while (dst.hasRemaining() && ch.read(dst, dst.position()) > 0) {
                // a short read is not the end of the file: read again until it says so
            }
            byte[] tail = null;
            if (size >= SIZE) {
                tail = new byte[SIZE];
                Positional.readFully(ch, ByteBuffer.wrap(tail), size - SIZE, path);
            }
            return new ProbeBytes(head, tail, Math.max(size, dst.position()), path.toString());
        } catch (NoSuchFileException e) {
            throw new FileOpenException(path.toString(), "No such file or directory", e);
        }
    }

    /** True when {@code buf} holds the ASCII (ISO-8859-1) bytes of {@code text} at {@code off}. */
    static boolean at(byte[] buf, int off, String text) {
        byte[] t = text.getBytes(StandardCharsets.ISO_8859_1);
        if (buf == null || off < 0 || t.length > buf.length - off) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            if (buf[off + i] != t[i]) {
                return false;
            }
        }
        return true;
    }

    static long be32(byte[] b, int off) {
        return ((b[off] & 0xffL) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8)
                | (b[off + 3] & 0xff);
    }

    static long le32(byte[] b, int off) {
        return ((b[off + 3] & 0xffL) << 24) | ((b[off + 2] & 0xff) << 16) | ((b[off + 1] & 0xff) << 8)
                | (b[off] & 0xff);
    }

    static int be16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }
}
