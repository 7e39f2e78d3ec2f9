package org.qimg.format;

/**
 * An operation stopped because it met a corruption it had to report as QEMU's {@code qcow2_signal_corruption}
 * does: the image has been marked corrupt, and qemu-img prints the event line
 * ({@code qcow2: Marking image as corrupt: ...; further corruption events will be suppressed}) before its
 * error. The message is the error line qemu-img prints after it.
 */
public class CorruptionSignalledException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String event;

    /**
     * @param event   the whole event line, printed as is
     * @param message the error qemu-img reports for the failed operation
     */
    public CorruptionSignalledException(String event, String message) {
        super(message);
        this.event = event;
    }

    /** The event line qemu-img prints before the error. */
    public String event() {
        return event;
    }
}
