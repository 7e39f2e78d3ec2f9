package org.qimg.format;

import java.util.Locale;

/**
 * What {@code qemu-img resize} asks of a format: the new virtual size in bytes (already validated as positive
 * and, for a shrink, allowed by the user's {@code --shrink}) and the preallocation mode of the added area.
 *
 * @param newSize    the new virtual size in bytes
 * @param prealloc   how the grown area is allocated
 * @param forceShare take no locks that would refuse other users ({@code -U}; qemu-img resize has no such
 *                   option, so false from the command line)
 * @param zeroNewArea the grown area must read as zeros although the backing file has data there (QEMU's
 *                   {@code BDRV_REQ_ZERO_WRITE}: the backing file is longer than the image was)
 */
public record ResizeRequest(long newSize, Preallocation prealloc, boolean forceShare, boolean zeroNewArea) {

    /** QEMU's {@code PreallocMode}, spelled as {@code --preallocation} takes it. */
    public enum Preallocation {
        OFF, METADATA, FALLOC, FULL;

        /** The mode named {@code name} (lower case, as QEMU), or null when QEMU knows no such mode. */
        public static Preallocation parse(String name) {
            for (Preallocation p : values()) {
                if (p.qemuName().equals(name)) {
                    return p;
                }
            }
            return null;
        }

        public String qemuName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ResizeRequest {
        if (newSize <= 0) {
            throw new IllegalArgumentException("new size must be positive: " + newSize);
        }
    }
}
