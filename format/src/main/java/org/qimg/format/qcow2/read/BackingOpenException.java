package org.qimg.format.qcow2.read;

import org.qimg.format.ImageException;

/**
 * A backing file could not be opened, in qemu-img's words: {@code Could not open 'OVERLAY': Could not open
 * backing file: REASON}. An overlay whose backing file is itself an overlay that failed so adds one more
 * {@code Could not open backing file: } before the reason, as QEMU's nested opens do.
 */
final class BackingOpenException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    BackingOpenException(String overlay, String reason, Throwable cause) {
        super("Could not open '" + overlay + "': Could not open backing file: " + reason, cause);
        this.reason = reason;
    }

    /** This failure as the overlay above {@code overlay}'s own open reports it. */
    BackingOpenException above(String overlay) {
        return new BackingOpenException(overlay, "Could not open backing file: " + reason, this);
    }
}
