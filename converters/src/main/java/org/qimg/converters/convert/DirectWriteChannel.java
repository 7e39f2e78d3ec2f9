package org.qimg.converters.convert;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.LongAdder;

/**
 * The output channel of a durable convert: positional writes of whole, aligned blocks from aligned direct
 * buffers (the data clusters, which are nearly all the bytes) go to a second descriptor of the same file
 * opened with {@code O_DIRECT}; everything else (headers, tables, compressed payloads, unaligned tails,
 * reads, truncation, fsync) goes through the ordinary descriptor.
 *
 * <p>Why: the data has to reach the disk before the rename anyway. Through the page cache it is copied
 * once more, evicts the user's cache, and leaves the final fsync to write it back; on the virtual disks
 * measured here that writeback cost 0.6 to 3 s of kernel CPU for 1.1 GiB, varying from run to run, while
 * direct writes of the same data took 0.7 s with 0.1 s of CPU. The kernel keeps the two descriptors
 * coherent (a direct write first writes back and drops cached pages of its range), and {@code fsync} on
 * the inode covers both, including the disk's write cache.
 *
 * <p>Where the file system refuses {@code O_DIRECT} (tmpfs before Linux 6.6) or reports an odd block
 * size, {@link #wrap} returns the ordinary channel unchanged.
 */
final class DirectWriteChannel extends FileChannel {
    private final FileChannel buffered;
    private final FileChannel direct;
    private final int align;
    private final LongAdder directBytes = new LongAdder(); // writers may be several threads

    private DirectWriteChannel(FileChannel buffered, FileChannel direct, int align) {
        this.buffered = buffered;
        this.direct = direct;
        this.align = align;
    }

    /** {@code buffered} with aligned writes routed to an {@code O_DIRECT} descriptor of {@code file}, if possible. */
    static FileChannel wrap(FileChannel buffered, Path file) {
        return wrap(buffered, file, file);
    }

    /**
     * As {@link #wrap(FileChannel, Path)}, with the block size read from the file store of {@code sameStore}
     * (e.g. the directory of a file that is only reachable through {@code /proc/self/fd}).
     */
    static FileChannel wrap(FileChannel buffered, Path file, Path sameStore) {
        try {
            long block = Files.getFileStore(sameStore).getBlockSize();
            if (block < 512 || block > 65536 || Long.bitCount(block) != 1) {
                return buffered;
            }
            FileChannel d = FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            return new DirectWriteChannel(buffered, d, (int) block);
        } catch (IOException | UnsupportedOperationException e) {
            return buffered;
        }
    }

    private boolean aligned(ByteBuffer src, long position) {
        int n = src.remaining();
        return src.isDirect() && n > 0 && n % align == 0 && position % align == 0
                && src.alignmentOffset(src.position(), align) == 0;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (aligned(src, position)) {
            int n = direct.write(src, position);
            directBytes.add(n);
            return n;
        }
        return buffered.write(src, position);
    }

    /** Bytes written around the page cache so far (for tests). */
    long directBytes() {
        return directBytes.sum();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return buffered.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return buffered.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return buffered.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return buffered.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
        return buffered.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        buffered.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return buffered.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        buffered.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        buffered.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return buffered.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return buffered.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return buffered.read(dst, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return buffered.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return buffered.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return buffered.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        try {
            direct.close();
        } finally {
            buffered.close();
        }
    }
}
