package org.qimg;

import java.util.List;

/**
 * What {@link Qimg#check} found, as {@code qemu-img check} counts it: corruptions (exit 2 there), leaked
 * clusters (exit 3), errors that stopped parts of the check, and the lines qemu-img would print about them.
 */
public record CheckReport(long corruptions, long leaks, long checkErrors, List<String> messages) {
    public CheckReport {
        messages = List.copyOf(messages);
    }

    /** True when nothing at all was found. */
    public boolean clean() {
        return corruptions == 0 && leaks == 0 && checkErrors == 0;
    }
}
