package org.qimg.format.qcow2.write;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.io.GuestDataChannel;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;

/**
 * The output file of a {@link Qcow2Writer}: positional writes, plus the file length QEMU would leave,
 * which is the end of the furthest write QEMU makes (metadata QEMU writes early but qimg writes at the end
 * is accounted for with {@link #noteWrite} when QEMU would have written it).
 */
final class WriterFile {
    private final FileChannel channel;
    /** The channel itself when it wants guest data told apart from metadata ({@link #writeData}), else null. */
    private final GuestDataChannel dataChannel;
    private final Path path;
    private long end;
    /** The file the channel writes, when known: then the file grows without its last block being written. */
    private Path realFile;

    WriterFile(FileChannel channel, Path path) {
        this.channel = NamedChannel.wrap(channel, path); // every I/O error names the file and the offset
        this.dataChannel = channel instanceof GuestDataChannel g ? g : null;
        this.path = path;
    }

    void realFile(Path file) {
        this.realFile = file;
    }

    Path path() {
        return path;
    }

    /** Writes src at offset and extends the QEMU-visible end. */
    void write(long offset, ByteBuffer src) throws IOException {
        noteWrite(offset, src.remaining());
        writeQuiet(offset, src);
    }

    /**
     * As {@link #write}, for guest data: {@code src} holds the guest bytes from {@code guestOffset} on, or with
     * {@code compressedCluster > 0} the compressed payload of that one cluster ({@link GuestDataChannel}, which a
     * channel that implements it is told; any other channel gets an ordinary write).
     */
    void writeData(long offset, ByteBuffer src, long guestOffset, int compressedCluster) throws IOException {
        if (dataChannel == null) {
            write(offset, src);
            return;
        }
        noteWrite(offset, src.remaining());
        long pos = offset;
        long guest = guestOffset;
        while (src.hasRemaining()) {
            int n = dataChannel.writeGuestData(src, pos, guest, compressedCluster);
            pos += n;
            if (compressedCluster == 0) {
                guest += n;
            }
        }
    }

    /** Writes src at offset without moving the end (the range was noted when QEMU would have written it). */
    void writeQuiet(long offset, ByteBuffer src) throws IOException {
        Positional.writeFully(channel, src, offset);
    }

    void noteWrite(long offset, long length) {
        end = Math.max(end, Math.addExact(offset, length));
    }

    long end() {
        return end;
    }

    /**
     * Sets the file length to the QEMU-visible end (optionally rounded up to 512). Does not fsync: the
     * caller owns durability (convert fsyncs its temporary file before the rename; create fsyncs too).
     */
    void finish(boolean roundToSector) throws IOException {
        long len = roundToSector ? (end + 511) & ~511L : end;
        end = len;
        if (channel.size() > len) {
            channel.truncate(len);
        } else if (channel.size() < len) {
            if (realFile != null) {
                // ftruncate, as QEMU grows the file: the new end stays a hole
                try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(realFile.toFile(), "rw")) {
                    f.setLength(len);
                }
            } else {
                Positional.writeFully(channel, ByteBuffer.allocate(1), len - 1);
            }
        }
    }
}
