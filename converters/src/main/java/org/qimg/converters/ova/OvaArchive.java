package org.qimg.converters.ova;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.qimg.format.ImageException;

/**
 * The OVA's tar archive, written front to back: the members in the order the caller adds them (DSP0243
 * 5.3: the descriptor first, then the manifest, then the files in References order). The headers are POSIX
 * ustar ({@code ustar\0} magic, version {@code 00}) as {@code tar --format=ustar} writes them, every member a
 * regular file, mode 0644, owner and group 0 ({@code root}), the same time: what VMware's open-vmdk packager
 * writes; the archive is padded to GNU tar's 10 KiB blocks. Names are at most 99 bytes (no prefix field is
 * needed). A member of 8 GiB or more does not fit the ustar size field; its size is then written in
 * base-256, as GNU tar's own format does (the format VMware's {@code ova-compose} uses by default), which
 * GNU tar, bsdtar and Python's tarfile read.
 */
final class OvaArchive implements AutoCloseable {
    /** The largest size a ustar header holds in its 11 octal digits. */
    static final long MAX_USTAR_SIZE = 077777777777L;
    /** Permission bits only, as tar --format=ustar writes them (the typeflag says "regular file"). */
    private static final int MODE = 0644;
    /** GNU tar's default blocking factor (20 records): the archive ends padded to a multiple of it. */
    private static final int BLOCK_SIZE = 10240;
    private static final int COPY_BUFFER = 1 << 20;

    private final TarArchiveOutputStream tar;
    private final FileTime mtime;

    /** An archive written to {@code out} (which it closes), members dated {@code mtime} (seconds since the epoch). */
    OvaArchive(OutputStream out, long mtime) {
        this.tar = new TarArchiveOutputStream(new BufferedOutputStream(out, COPY_BUFFER), BLOCK_SIZE,
                StandardCharsets.UTF_8.name());
        this.tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_ERROR);
        this.tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_ERROR);
        this.mtime = FileTime.from(Math.max(0, mtime), TimeUnit.SECONDS);
    }

    /** An archive written into {@code channel} from its current position; closing the archive leaves it open. */
    static OvaArchive over(FileChannel channel, long mtime) {
        return new OvaArchive(new FilterOutputStream(Channels.newOutputStream(channel)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush(); // the channel belongs to the caller (SafeOutput seals and closes it)
            }
        }, mtime);
    }

    /** Adds a member holding {@code data}. */
    void add(String name, byte[] data) throws IOException {
        tar.putArchiveEntry(entry(name, data.length));
        tar.write(data);
        tar.closeArchiveEntry();
    }

    /**
     * Adds a member holding the first {@code size} bytes of {@code file}, read once, front to back. The
     * file must not change meanwhile; a file shorter than {@code size} is an error.
     */
    void add(String name, FileChannel file, long size, String fileForErrors) throws IOException {
        if (size > MAX_USTAR_SIZE) {
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
        }
        tar.putArchiveEntry(entry(name, size));
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_ERROR);
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BUFFER, Math.max(size, 1)));
        for (long at = 0; at < size; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), size - at));
            int n = file.read(buf, at);
            if (n < 0) {
                throw new ImageException("'" + fileForErrors + "': ended at byte " + at + " of " + size
                        + " while it was copied into the archive");
            }
            tar.write(buf.array(), 0, n);
            at += n;
        }
        tar.closeArchiveEntry();
    }

    private TarArchiveEntry entry(String name, long size) throws ImageException {
        if (name.getBytes(StandardCharsets.UTF_8).length > OvaSettings.MAX_MEMBER_NAME || name.contains("/")) {
            throw new ImageException("OVA member name '" + name + "' does not fit a ustar header");
        }
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(size);
        e.setMode(MODE);
        e.setUserId(0);
        e.setGroupId(0);
        e.setUserName("root");
        e.setGroupName("root");
        e.setLastModifiedTime(mtime);
        return e;
    }

    /** Writes the end-of-archive records and flushes; the underlying stream is closed by {@link #close()}. */
    void finish() throws IOException {
        tar.finish();
        tar.flush();
    }

    @Override
    public void close() throws IOException {
        tar.close();
    }
}
