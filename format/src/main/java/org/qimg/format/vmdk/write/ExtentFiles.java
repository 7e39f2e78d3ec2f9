package org.qimg.format.vmdk.write;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageException;

/**
 * The extent files of an image whose descriptor is a file of its own (monolithicFlat, twoGbMaxExtent*): each is
 * written to a hidden temporary file in the destination's directory and renamed to its real name only by
 * {@link #commitAll()}, once every extent is complete and synced. {@link #close()} before that, and a JVM
 * shutdown (Ctrl-C), delete the temporary files, so a failed convert leaves no extent behind (the caller's own
 * temp-and-rename handles the descriptor). The renames are atomic one by one, not as a set.
 */
final class ExtentFiles implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<Path> finals = new ArrayList<>();
    private final List<Path> temps = new ArrayList<>();
    private final Thread cleanup = new Thread(this::deleteTemps, "qimg-vmdk-extent-cleanup");
    private boolean committed;

    ExtentFiles() {
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** Creates the temporary file for the extent that will be named {@code target}; returns it open for writing. */
    FileChannel create(Path target) throws IOException {
        Path dir = target.getParent();
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + target.getFileName() + ".qimg-" + Long.toHexString(RANDOM.nextLong()));
            try {
                FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                synchronized (this) {
                    finals.add(target);
                    temps.add(temp);
                }
                return ch;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            } catch (IOException e) {
                throw new ImageException("Could not create '" + target + "': " + e.getMessage(), e);
            }
        }
    }

    /** Renames every temporary file to its extent's name (replacing an existing file). */
    void commitAll() throws IOException {
        for (int i = 0; i < temps.size(); i++) {
            Path temp = temps.get(i);
            Path target = finals.get(i);
            try {
                try {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new ImageException("Could not create '" + target + "': " + e.getMessage(), e);
            }
        }
        committed = true;
    }

    @Override
    public void close() {
        if (!committed) {
            deleteTemps();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    private synchronized void deleteTemps() {
        for (Path t : temps) {
            try {
                Files.deleteIfExists(t);
            } catch (IOException e) {
                // best effort: nothing else can be done here
            }
        }
    }
}
