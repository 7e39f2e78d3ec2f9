package org.qimg.converters.convert;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Asks the kernel, from a background thread, to start writing a file's dirty pages to disk while the
 * conversion is still producing them ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, which only starts
 * writeback and waits for nothing). The disk then works alongside the CPU, and the {@code fsync} that
 * {@link SafeOutput#commit()} does before its rename finds little left to write. It changes no data and
 * no durability guarantee; where the call is not available (not Linux, no libc through JNA) it does
 * nothing.
 */
final class Writeback implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final boolean AVAILABLE = register();

    private final int fd;
    private final Thread thread;
    private volatile boolean stop;

    private Writeback(int fd) {
        this.fd = fd;
        this.thread = new Thread(this::loop, "qimg-writeback");
        thread.setDaemon(true);
        thread.start();
    }

    private static boolean register() {
        try {
            if (!Platform.isLinux() || Boolean.getBoolean("qimg.writeback.off")) {
                return false;
            }
            Native.register(Writeback.class, "c");
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    private static native int open(String path, int flags) throws LastErrorException;

    private static native int sync_file_range(int fd, long offset, long nbytes, int flags) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    /** Starts background writeback of {@code file}; returns a no-op when that is not possible. */
    static Writeback start(Path file) {
        if (!AVAILABLE) {
            return new Writeback();
        }
        try {
            return new Writeback(open(file.toString(), O_RDONLY));
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return new Writeback();
        }
    }

    /** A writeback that does nothing (no fsync follows). */
    static Writeback none() {
        return new Writeback();
    }

    private Writeback() {
        this.fd = -1;
        this.thread = null;
    }

    private void loop() {
        while (!stop) {
            LockSupport.parkNanos(PERIOD_NANOS);
            if (stop) {
                break;
            }
            try {
                sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
            } catch (LastErrorException | UnsatisfiedLinkError e) {
                return; // e.g. a file system without writeback control: the final fsync does it all
            }
        }
    }

    /** Stops the background thread and closes its descriptor; the caller's fsync follows. */
    @Override
    public void close() {
        if (thread == null) {
            return;
        }
        stop = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            close(fd);
        } catch (LastErrorException e) {
            // nothing depends on this read-only descriptor
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
