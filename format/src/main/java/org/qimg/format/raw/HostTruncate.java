package org.qimg.format.raw;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.ImageLimitException;
import org.qimg.format.ResizeRequest.Preallocation;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.io.Positional;

/**
 * Sets the length of a host file as QEMU's file driver does when it creates or grows one
 * ({@code handle_aiocb_truncate} in {@code block/file-posix.c}): {@code off} leaves the new area a hole,
 * {@code falloc} allocates it ({@code posix_fallocate}), {@code full} writes zeros into it. A file that grows
 * from empty also gets its first block written with zeros ({@code allocate_first_block}: 512 bytes when the
 * new length is under 4 KiB, else 4 KiB; with {@code full} every byte is written anyway), which is why a new
 * raw image made by qemu-img shows data in its first 4 KiB.
 */
public final class HostTruncate {
    /** QEMU's MAX_BLOCKSIZE: what allocate_first_block writes at most. */
    static final int FIRST_BLOCK = 4096;
    private static final int ZERO_CHUNK = 65536;

    private HostTruncate() {
    }

    /**
     * Makes {@code path} (open as {@code ch}) {@code size} bytes long with preallocation {@code mode}. Refused as
     * QEMU refuses them: {@code metadata} ("Unsupported preallocation mode: metadata") and any preallocation of
     * a shrinking file.
     */
    public static void truncate(FileChannel ch, Path path, long size, Preallocation mode) throws IOException {
        long current = ch.size();
        if (current > size && mode != Preallocation.OFF) {
            throw new UnsupportedFeatureException("Cannot use preallocation for shrinking files");
        }
        switch (mode) {
            case OFF -> {
                setLength(path, ch, size);
                if (current == 0 && size > 0) {
                    allocateFirstBlock(ch, size);
                }
            }
            case FALLOC -> {
                if (size != current) {
                    if (!HostFiles.fallocate(path, current, size - current)) {
                        setLength(path, ch, size);
                        writeZeros(ch, current, size);
                    }
                    if (current == 0) {
                        allocateFirstBlock(ch, size);
                    }
                }
            }
            case FULL -> {
                setLength(path, ch, size);
                writeZeros(ch, current, size);
                ch.force(false);
            }
            default -> throw new UnsupportedFeatureException("Unsupported preallocation mode: " + mode.qemuName());
        }
    }

    /**
     * Allocates ({@code falloc}) or writes zeros into ({@code full}) {@code [from, to)} of a file that grows to
     * cover it, as QEMU's file driver preallocates the area a qcow2 image adds. {@code path} names the file
     * {@code ch} writes, or is null when the caller cannot name it (a temporary file): then zeros are written
     * for falloc too, which allocates the same blocks.
     */
    public static void preallocate(FileChannel ch, Path path, long from, long to, Preallocation mode)
            throws IOException {
        if (to <= from) {
            return;
        }
        if (mode == Preallocation.FALLOC && path != null && HostFiles.fallocate(path, from, to - from)) {
            return;
        }
        if (mode == Preallocation.FALLOC || mode == Preallocation.FULL) {
            writeZeros(ch, from, to);
        }
    }

    /** ftruncate: grows the file without allocating anything, or shrinks it. */
    private static void setLength(Path path, FileChannel ch, long size) throws IOException {
        if (size <= ch.size()) {
            ch.truncate(size);
            return;
        }
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
            f.setLength(size);
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("File too large")) {
                throw new ImageLimitException("Could not resize file: File too large");
            }
            throw e;
        }
    }

    private static void allocateFirstBlock(FileChannel ch, long size) throws IOException {
        int n = size < FIRST_BLOCK ? 512 : FIRST_BLOCK;
        Positional.writeFully(ch, ByteBuffer.allocate(n), 0);
    }

    private static void writeZeros(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);
        for (long at = from; at < to;) {
            int n = (int) Math.min(ZERO_CHUNK, to - at);
            zeros.clear().limit(n);
            Positional.writeFully(ch, zeros, at);
            at += n;
        }
    }
}
