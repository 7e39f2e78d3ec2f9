package org.qimg.converters.convert;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.qimg.format.ImageException;

/**
 * A new file that appears at its destination only when complete: data goes to a hidden temporary file in
 * the destination's directory, which {@link #commit()} fsyncs and renames atomically over the destination.
 * Until then the destination is untouched; {@link #close()} without commit, and a JVM shutdown (Ctrl-C,
 * SIGTERM), delete the temporary file. A destination that is a symbolic link keeps the link: the file it
 * points to is replaced.
 */
public final class SafeOutput implements Closeable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Path destination;
    private final Path temp;
    private final FileChannel channel;
    private final Thread hook;
    private final Writeback writeback;
    private final boolean durable;
    private boolean committed;
    private boolean closed;

    private SafeOutput(Path destination, Path temp, FileChannel channel, boolean durable) {
        this.destination = destination;
        this.temp = temp;
        // durable output must reach the disk before the rename: its aligned data writes skip the page cache
        this.channel = durable ? DirectWriteChannel.wrap(channel, temp) : channel;
        this.hook = new Thread(this::deleteTempQuietly, "qimg-temp-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        this.durable = durable;
        this.writeback = durable ? Writeback.start(temp) : Writeback.none();
    }

    /** Creates the temporary file beside {@code destination} (which may or may not exist); durable. */
    public static SafeOutput create(Path destination) throws IOException {
        return create(destination, true);
    }

    /**
     * Creates the temporary file beside {@code destination}. With {@code durable} false the data is not
     * fsynced before the rename (qemu-img convert's default cache mode, "unsafe"): the rename is still atomic,
     * but a power loss soon after may leave the new file incomplete.
     */
    public static SafeOutput create(Path destination, boolean durable) throws IOException {
        Path dst = destination.toAbsolutePath();
        if (Files.isSymbolicLink(dst)) {
            dst = dst.toRealPath();
        }
        Path dir = dst.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ImageException("Could not create '" + destination + "': No such file or directory");
        }
        if (Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException("Could not create '" + destination + "': Is a directory");
        }
        for (int attempt = 0; ; attempt++) {
            byte[] r = new byte[6];
            RANDOM.nextBytes(r);
            Path temp = dir.resolve("." + dst.getFileName() + ".qimg-" + HexFormat.of().formatHex(r) + ".tmp");
            try {
                FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                return new SafeOutput(dst, temp, ch, durable);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new ImageException("Could not create '" + destination + "': " + e.getMessage(), e);
            }
        }
    }

    public FileChannel channel() {
        return channel;
    }

    /** The hidden temporary file (for messages and tests). */
    public Path tempFile() {
        return temp;
    }

    public Path destination() {
        return destination;
    }

    /** Flushes the data to disk and renames the temporary file over the destination. */
    public void commit() throws IOException {
        if (closed) {
            throw new IllegalStateException("already closed");
        }
        writeback.close();
        if (durable) {
            channel.force(true);
        }
        channel.close();
        try {
            Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new ImageException("Could not rename '" + temp + "' to '" + destination + "': " + e.getMessage(), e);
        }
        committed = true;
        closed = true;
        if (durable) {
            syncDirectory(destination.getParent());
        }
        removeHook();
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // Not every platform can open a directory; the rename is done either way.
        }
    }

    /** Deletes the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writeback.close();
        try {
            channel.close();
        } catch (IOException e) {
            // deleting matters more
        }
        deleteTempQuietly();
        removeHook();
    }

    private void deleteTempQuietly() {
        if (!committed) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // nothing left to do at this point
            }
        }
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs and finds nothing to delete
        }
    }
}
