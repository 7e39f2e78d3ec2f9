package org.qimg.converters.trace;

import org.qimg.format.ImageException;

/** A trace or range list that cannot be read: the message names the file and the 1-based line. */
public final class TraceFormatException extends ImageException {
    private static final long serialVersionUID = 1L;

    private final int line;

    public TraceFormatException(String source, int line, String detail) {
        super(source + ":" + line + ": " + detail);
        this.line = line;
    }

    public TraceFormatException(String source, String detail) {
        super(source + ": " + detail);
        this.line = 0;
    }

    /** The 1-based line the problem is on, or 0 when it is not about one line. */
    public int line() {
        return line;
    }
}
