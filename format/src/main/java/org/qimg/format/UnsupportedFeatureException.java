package org.qimg.format;

/** A valid image that uses something qimg refuses to read or write (encryption, unknown incompatible bits). */
public class UnsupportedFeatureException extends ImageException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFeatureException(String message) {
        super(message);
    }
}
