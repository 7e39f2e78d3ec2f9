package org.qimg.converters.convert;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * Zeroes ranges of a block device without pushing zero bytes through the page cache: the kernel's
 * {@code BLKZEROOUT}, which is what qemu-img's write-zeroes request amounts to on a host device (the device's
 * write-zeroes command, or the kernel writing zeros itself). Only whole, page-aligned ranges are zeroed this
 * way: {@code BLKZEROOUT} drops the device's cached pages of the range, and a partial page at either end may
 * hold data another thread is writing through the cache, so the caller writes those as zero bytes.
 *
 * <p>Where the call is unavailable (not Linux, no libc through JNA) or refused, {@link #zero} returns false
 * and the caller writes zeros. Thread-safe.
 */
final class DeviceZeroes implements Closeable {
    static final int PAGE = 4096;
    private static final int O_WRONLY = 1;
    /** {@code _IO(0x12, 127)}. */
    private static final NativeLong BLKZEROOUT = new NativeLong(0x127F);
    private static final boolean AVAILABLE = register();

    private final int fd;
    private volatile boolean works = true;

    private DeviceZeroes(int fd) {
        this.fd = fd;
    }

    private static boolean register() {
        try {
            if (!Platform.isLinux() || !Platform.is64Bit()) {
                return false;
            }
            Native.register(DeviceZeroes.class, "c");
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    private static native int open(String path, int flags) throws LastErrorException;

    private static native int ioctl(int fd, NativeLong request, long[] range) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    /** A zeroer for the block device {@code device}, or null when zeroing this way is not possible. */
    static DeviceZeroes open(Path device) {
        if (!AVAILABLE) {
            return null;
        }
        try {
            return new DeviceZeroes(open(device.toString(), O_WRONLY));
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return null;
        }
    }

    /**
     * Zeroes {@code [offset, offset + length)}, both multiples of {@link #PAGE}; returns false, having
     * changed nothing, when the device refuses (the caller then writes zeros).
     */
    boolean zero(long offset, long length) {
        if (!works || offset % PAGE != 0 || length % PAGE != 0 || length <= 0) {
            return false;
        }
        try {
            return ioctl(fd, BLKZEROOUT, new long[] {offset, length}) == 0;
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            works = false; // EINVAL (alignment), EBUSY, ENOTTY: write zeros from now on
            return false;
        }
    }

    @Override
    public void close() {
        try {
            close(fd);
        } catch (LastErrorException e) {
            // the zeroes were written synchronously; nothing is pending on this descriptor
        }
    }
}
