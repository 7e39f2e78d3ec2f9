package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.io.Positional;

/**
 * Writes a raw target with positional I/O. Data runs are written; zero runs are left as holes when the
 * target is known to read as zeros (fresh file of the right length, or --target-is-zero), else written.
 */
final class RawTargetWriter implements TargetWriter {
    private final FileChannel channel;
    private final Path path;
    private final boolean targetZeroed;
    private final DeviceZeroes zeroes;

    RawTargetWriter(FileChannel channel, Path path, boolean targetZeroed) {
        this(channel, path, targetZeroed, null);
    }

    /** @param zeroes zeroes whole pages of a block device target without writing them; null for files */
    RawTargetWriter(FileChannel channel, Path path, boolean targetZeroed, DeviceZeroes zeroes) {
        this.channel = NamedChannel.wrap(channel, path); // every I/O error names the file and the offset
        this.path = path;
        this.targetZeroed = targetZeroed;
        this.zeroes = zeroes;
    }

    @Override
    public int granule() {
        return SparseScan.SECTOR;
    }

    /** Positional writes of disjoint ranges: any order, any thread. */
    @Override
    public boolean writesAnyOrder() {
        return true;
    }

    @Override
    public Slot write(Chunk chunk, Slot slot) throws IOException {
        if (slot == null) {
            // SKIP: not allocated in the sources' top layers while the target is backed (-n -B): left alone
            if (!targetZeroed && chunk.kind() != ConcatSource.Kind.SKIP) {
                writeZeros(chunk.start(), chunk.length());
            }
            return null;
        }
        int done = 0;
        for (int i = 0; i < slot.runPairs; i++) {
            int off = slot.runs[2 * i];
            int len = slot.runs[2 * i + 1];
            if (!targetZeroed && off > done) {
                writeZeros(chunk.start() + done, off - done);
            }
            put(slot.in.slice(off, len), chunk.start() + off);
            done = off + len;
        }
        if (!targetZeroed && done < chunk.length()) {
            writeZeros(chunk.start() + done, chunk.length() - done);
        }
        return slot;
    }

    private void writeZeros(long pos, long len) throws IOException {
        if (zeroes != null) {
            long end = pos + len;
            long from = Math.min(end, (pos + DeviceZeroes.PAGE - 1) / DeviceZeroes.PAGE * DeviceZeroes.PAGE);
            long to = Math.max(from, end / DeviceZeroes.PAGE * DeviceZeroes.PAGE);
            if (to > from && zeroes.zero(from, to - from)) {
                writeZeroBytes(pos, from - pos);
                writeZeroBytes(to, end - to);
                return;
            }
        }
        writeZeroBytes(pos, len);
    }

    private void writeZeroBytes(long pos, long len) throws IOException {
        long p = pos;
        long left = len;
        while (left > 0) {
            ByteBuffer z = Zeros.slice((int) Math.min(left, Integer.MAX_VALUE));
            put(z, p);
            p += z.capacity();
            left -= z.capacity();
        }
    }

    private void put(ByteBuffer src, long pos) throws IOException {
        Positional.writeFully(channel, src, pos);
    }

    @Override
    public void finish() {
    }

    @Override
    public void close() {
    }
}
