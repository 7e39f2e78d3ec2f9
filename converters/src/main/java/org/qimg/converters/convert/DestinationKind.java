package org.qimg.converters.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.qimg.format.ImageFormats;

/**
 * What a convert destination is before anything is written, following symbolic links as qemu-img does
 * ({@code /dev/disk/by-id/...} names a block device). Only {@link #ABSENT} and {@link #REGULAR} destinations may
 * be created or replaced by a new file; the others are written in place or refused.
 */
enum DestinationKind {
    ABSENT, REGULAR, DIRECTORY, BLOCK_DEVICE, CHAR_DEVICE, FIFO, SOCKET;

    /** True for a device, FIFO or socket: a node that must never be replaced by a regular file. */
    boolean special() {
        return this == BLOCK_DEVICE || this == CHAR_DEVICE || this == FIFO || this == SOCKET;
    }

    /**
     * The kind of {@code p}. A path that cannot be looked at (missing, dangling link, no permission) is
     * {@link #ABSENT}: the ordinary output path then reports what is wrong with it.
     */
    static DestinationKind of(Path p) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException | SecurityException e) {
            return ABSENT;
        }
        if (a.isRegularFile()) {
            return REGULAR;
        }
        if (a.isDirectory()) {
            return DIRECTORY;
        }
        String kind = ImageFormats.fileKind(p);
        if (kind == null) {
            return CHAR_DEVICE; // some other node on a platform without st_mode: never replace it
        }
        return switch (kind) {
            case "block device" -> BLOCK_DEVICE;
            case "FIFO" -> FIFO;
            case "socket" -> SOCKET;
            default -> CHAR_DEVICE;
        };
    }
}
