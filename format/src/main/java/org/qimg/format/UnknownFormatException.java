package org.qimg.format;

/**
 * A format name that names no format qimg knows, as {@code -f}, {@code -O} or a backing format gives it:
 * {@code Unknown file format 'F' (...)}.
 */
public class UnknownFormatException extends UnsupportedFeatureException {
    private static final long serialVersionUID = 1L;

    public UnknownFormatException(String message) {
        super(message);
    }
}
