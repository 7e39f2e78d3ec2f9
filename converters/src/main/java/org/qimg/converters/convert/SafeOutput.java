package org.qimg.converters.convert;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.qimg.converters.convert.HostFileOps.NativeError;
import org.qimg.format.ImageException;

/**
 * A new file that appears at its destination only when complete: data goes to a temporary file in the
 * destination's directory ({@link TempFile}: unnamed while written where the file system allows), which
 * {@link #seal()} completes and names and {@link #commit()} renames atomically over the destination. Until
 * then the destination is untouched; {@link #close()} without commit, and a JVM shutdown (Ctrl-C, SIGTERM),
 * remove the temporary file; after SIGKILL the next run for the same destination does.
 *
 * <p>What the user pointed at is never destroyed or exposed:
 * <ul>
 *   <li>an existing regular destination's owner, group, mode and extended attributes (ACLs, SELinux labels)
 *       are given to the temporary file before any data is written ({@link FileAttributesCopy}); one with
 *       several hard links, or one that is not writable, is refused before anything is written;</li>
 *   <li>the temporary file is mode 0600 while written; a new destination then gets qemu-img's mode (0644
 *       minus umask) with its group and other bits reduced to those of the sources ({@link NewFileMode});</li>
 *   <li>a destination that is a symbolic link keeps the link: the file it points to is replaced, or created
 *       when the link dangles, as qemu-img does;</li>
 *   <li>every error names the destination as the user spelled it.</li>
 * </ul>
 */
public final class SafeOutput implements Closeable {
    private static final int PRIVATE_MODE = 0600;

    private final Path shown;
    private final Path destination;
    private final TempFile temp;
    private final FileChannel channel;
    private final FileAttributesCopy existing;
    private final int finalMode;
    private final Thread hook;
    private final Writeback writeback;
    private final boolean durable;
    private Path sealed;
    private volatile boolean committed;
    private boolean closed;

    private SafeOutput(Path shown, Path destination, TempFile temp, FileChannel channel, FileAttributesCopy existing,
                       int finalMode, boolean durable) {
        this.shown = shown;
        this.destination = destination;
        this.temp = temp;
        this.existing = existing;
        this.finalMode = finalMode;
        // durable output must reach the disk before the rename: its aligned data writes skip the page cache
        this.channel = durable ? DirectWriteChannel.wrap(channel, temp.openPath(), destination.getParent()) : channel;
        this.hook = new Thread(this::deleteTempQuietly, "qimg-temp-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        this.durable = durable;
        this.writeback = durable ? Writeback.start(temp.openPath()) : Writeback.none();
    }

    /** Creates the temporary file beside {@code destination} (which may or may not exist); durable. */
    public static SafeOutput create(Path destination) throws IOException {
        return create(destination, true, List.of());
    }

    /**
     * Creates the temporary file beside {@code destination}. With {@code durable} false the data is not
     * fsynced before the rename (qemu-img convert's default cache mode, "unsafe"): the rename is still atomic,
     * but a power loss soon after may leave the new file incomplete. {@code sources} are the files whose data
     * will be written (a new destination is made no more readable than they are).
     */
    public static SafeOutput create(Path destination, boolean durable, List<Path> sources) throws IOException {
        Path dst = DestinationPath.resolve(destination);
        Path dir = dst.getParent();
        FileAttributesCopy existing = null;
        if (Files.exists(dst)) {
            existing = checkReplaceable(destination, dst);
        }
        TempFile temp;
        try {
            if (HostFileOps.available()) {
                TempFile.removeStale(dir, dst.getFileName().toString());
                temp = TempFile.create(dir, dst.getFileName().toString(), PRIVATE_MODE);
            } else {
                temp = TempFile.createPortable(dir, dst.getFileName().toString());
            }
        } catch (NativeError e) {
            throw cannotCreate(destination, dir, existing != null, e.getMessage());
        } catch (IOException e) {
            throw cannotCreate(destination, dir, existing != null, reason(e));
        }
        try {
            temp.setMode(PRIVATE_MODE); // whatever the umask
            if (existing != null) {
                existing.applyOwnerAndXattrs(temp, PRIVATE_MODE);
            }
            int mode = existing != null ? existing.mode : NewFileMode.of(sources);
            return new SafeOutput(destination, dst, temp, temp.openChannel(), existing, mode, durable);
        } catch (IOException e) {
            temp.deleteName();
            temp.close();
            if (existing == null) {
                throw new ImageException("Could not create '" + destination + "': " + reason(e), e);
            }
            throw new ImageException("'" + destination + "': cannot replace it keeping what it carries: "
                    + e.getMessage() + "; write into it in place with -n, or remove it first", e);
        }
    }

    private static FileAttributesCopy checkReplaceable(Path shown, Path dst) throws IOException {
        if (Files.isDirectory(dst)) {
            throw new ImageException("Could not create '" + shown + "': Is a directory");
        }
        if (!Files.isRegularFile(dst)) {
            throw new ImageException("Could not create '" + shown + "': not a regular file; qimg replaces only"
                    + " regular files (write into it in place with -n)");
        }
        if (!Files.isWritable(dst)) {
            throw new ImageException("Could not open '" + shown + "': Permission denied");
        }
        FileAttributesCopy a;
        try {
            a = FileAttributesCopy.of(dst);
        } catch (IOException e) {
            throw new ImageException("'" + shown + "': " + e.getMessage(), e);
        }
        if (a.links > 1) {
            throw new ImageException("'" + shown + "' has " + a.links + " hard links; replacing it would leave the"
                    + " other names with the old content: remove it first, or write into it in place with -n");
        }
        return a;
    }

    private static ImageException cannotCreate(Path shown, Path dir, boolean exists, String reason) {
        if (exists) {
            return new ImageException("'" + shown + "': cannot replace it: no new file can be created in its"
                    + " directory '" + dir + "': " + reason + " (qimg writes the copy beside it and"
                    + " renames it; -n writes into the existing file in place)");
        }
        return new ImageException("Could not create '" + shown + "': " + reason);
    }

    public FileChannel channel() {
        return channel;
    }

    /** A path that opens the temporary file (for tools that need a path; it may have no name of its own). */
    public Path tempFile() {
        return temp.openPath();
    }

    public Path destination() {
        return destination;
    }

    /** Whether the destination existed (and is to be replaced). */
    public boolean replaces() {
        return existing != null;
    }

    /**
     * Completes the new file without publishing it: flushes it to disk (when durable), gives it its final mode,
     * closes {@link #channel()} and links the file to a hidden name in the destination's directory, which it
     * returns, so that it can be checked before {@link #commit()} (a relative backing file resolves as it will
     * at the destination).
     */
    public Path seal() throws IOException {
        if (closed) {
            throw new IllegalStateException("already closed");
        }
        if (sealed == null) {
            writeback.close();
            try {
                if (finalMode >= 0) {
                    temp.setMode(finalMode);
                }
                if (durable) {
                    channel.force(true); // data and inode, mode included, before the name appears
                }
                channel.close(); // the file is complete: its name appears as late as possible
                sealed = temp.name();
            } catch (IOException | NativeError e) {
                throw new ImageException("'" + shown + "': could not complete the new file: " + e.getMessage()
                        + unchanged(), e);
            }
        }
        return sealed;
    }

    /**
     * Seals the file if not yet done and renames it over the destination. Between the two a SIGKILL leaves
     * the hidden name behind, locked by nobody: the next run for this destination removes it.
     */
    public void commit() throws IOException {
        Path from = seal();
        try {
            Files.move(from, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new ImageException("'" + shown + "': could not rename the new file '" + from + "' over it: "
                    + reason(e) + unchanged(), e);
        }
        committed = true;
        temp.renamed();
        closed = true;
        temp.close();
        if (durable) {
            syncDirectory(destination.getParent());
        }
        removeHook();
    }

    /**
     * The exception to throw for {@code e}, raised while the new file was being written: a bare system error
     * ("No space left on device") gets the destination's name, and every such error says the destination is
     * unchanged. Errors about a source (corrupt, unsupported) are returned as they are.
     */
    public IOException failed(IOException e) {
        if (committed || !(e.getClass() == IOException.class || e.getClass() == ImageException.class
                || e instanceof FileSystemException)) {
            return e;
        }
        String m = reason(e);
        String name = shown.toString();
        return new ImageException((m.contains(name) ? "" : "'" + name + "': ") + m + unchanged(), e);
    }

    private String unchanged() {
        return existing != null ? " (the destination was left unchanged)" : " (no file was created)";
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // Not every platform can open a directory; the rename is done either way.
        }
    }

    /** Removes the temporary file unless {@link #commit()} succeeded. */
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
        temp.close();
        removeHook();
    }

    private void deleteTempQuietly() {
        if (!committed) {
            temp.deleteName();
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
