package org.qimg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** The file type bits of a path (not following links), as ls shows them: for "still a device" checks. */
public final class FileKind {
    private FileKind() {
    }

    /** "block", "char", "fifo", "socket", "regular", "directory", "link" or "other". */
    public static String of(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
            return switch (mode) {
                case 0060000 -> "block";
                case 0020000 -> "char";
                case 0010000 -> "fifo";
                case 0140000 -> "socket";
                case 0100000 -> "regular";
                case 0040000 -> "directory";
                case 0120000 -> "link";
                default -> "other";
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The device number (major, minor) of a device node, as "major:minor". */
    public static String deviceNumber(Path p) {
        try {
            long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
            return ((rdev >> 8) & 0xfff) + ":" + ((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
