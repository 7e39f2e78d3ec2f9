package org.qimg.format.io;

import java.nio.file.Path;
import org.qimg.format.ImageException;

/** The check every image reader makes before a guest read: the range lies inside the virtual size. */
public final class ReadRange {
    private ReadRange() {
    }

    /** Throws unless {@code length} bytes at {@code offset} lie inside an image of {@code size} bytes. */
    public static void require(Path image, long offset, long length, long size) throws ImageException {
        require(image, "read", offset, length, size);
    }

    /** As {@link #require(Path, long, long, long)}, naming the operation {@code what} in the message. */
    public static void require(Path image, String what, long offset, long length, long size) throws ImageException {
        if (offset < 0 || length < 0 || length > size - offset) {
            throw new ImageException(image + ": " + what + " of " + length + " bytes at offset " + offset
                    + " is outside the image (virtual size " + size + ")");
        }
    }
}
