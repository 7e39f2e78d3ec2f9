package org.qimg.format;

/**
 * Another process holds the image in a way this open cannot share (QEMU's image locks). The message is
 * qemu-img's first line ({@code Could not open 'F': Failed to get "write" lock}); {@link #hint()} is the line
 * qemu-img prints after it, without a prefix.
 */
public class ImageLockException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String reason;
    private final String lockedFile;

    /**
     * @param message    the whole first line, e.g. {@code Could not open 'F': <reason>}
     * @param reason     what failed, e.g. {@code Failed to get shared "write" lock}
     * @param lockedFile the file whose lock failed, as QEMU names it in the hint; null when QEMU prints no hint
     */
    public ImageLockException(String message, String reason, String lockedFile) {
        super(message);
        this.reason = reason;
        this.lockedFile = lockedFile;
    }

    /** The failure without the "Could not open" prefix. */
    public String reason() {
        return reason;
    }

    /** The file whose lock failed (for a backing file, not the image the user named). */
    public String lockedFile() {
        return lockedFile;
    }

    /** qemu's hint line, ending in a newline: {@code Is another process using the image [F]?}; or "". */
    public String hint() {
        return lockedFile == null ? "" : "Is another process using the image [" + lockedFile + "]?\n";
    }

    /** The same failure reported as {@code <prefix><reason>}. */
    public ImageLockException withPrefix(String prefix) {
        ImageLockException e = new ImageLockException(prefix + reason, reason, lockedFile);
        e.initCause(this);
        return e;
    }
}
