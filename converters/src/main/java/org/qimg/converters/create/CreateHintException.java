package org.qimg.converters.create;

import org.qimg.format.ImageException;

/**
 * A create error that qemu-img reports in two parts: the error line, then hint lines it prints as they are
 * (no program prefix, e.g. {@code Detected format of raw.} without a newline). {@link #getMessage()} is both,
 * joined by a newline, for callers that print one text.
 */
public final class CreateHintException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String headline;
    private final String hint;

    /**
     * @param headline the error line, naming the file being created
     * @param hint     what qemu-img prints after it, exactly
     * @param cause    the failure behind it, or null
     */
    public CreateHintException(String headline, String hint, Throwable cause) {
        super(headline + "\n" + hint, cause);
        this.headline = headline;
        this.hint = hint;
    }

    /** The error line. */
    public String headline() {
        return headline;
    }

    /** The lines after it, exactly as qemu-img prints them. */
    public String hint() {
        return hint;
    }
}
