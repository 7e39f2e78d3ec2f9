package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.qimg.format.ImageException;

/**
 * Where a destination path leads: symbolic links are followed (a relative target from the link's own
 * directory), and a dangling link leads to the file it names, which is then created, as qemu-img's
 * {@code open(O_CREAT)} does. The directory part of the result is canonical.
 */
final class DestinationPath {
    private static final int MAX_LINKS = 40;

    private DestinationPath() {
    }

    static Path resolve(Path destination) throws ImageException {
        Path p = destination.toAbsolutePath();
        try {
            for (int i = 0; Files.isSymbolicLink(p); i++) {
                if (i == MAX_LINKS) {
                    throw new ImageException("Could not create '" + destination + "': Too many levels of symbolic links");
                }
                Path target = Files.readSymbolicLink(p);
                Path dir = p.getParent();
                p = Files.isDirectory(dir) ? dir.toRealPath().resolve(target) : dir.resolve(target);
            }
            Path dir = p.getParent();
            if (dir == null || !Files.isDirectory(dir) || p.getFileName() == null) {
                throw new ImageException("Could not create '" + destination + "': No such file or directory");
            }
            Path real = dir.toRealPath().resolve(p.getFileName().toString());
            if (Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS) || p.getFileName().toString().equals("..")
                    || p.getFileName().toString().equals(".")) {
                throw new ImageException("Could not create '" + destination + "': Is a directory");
            }
            return real;
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
            throw new ImageException("Could not create '" + destination + "': " + reason, e);
        }
    }
}
