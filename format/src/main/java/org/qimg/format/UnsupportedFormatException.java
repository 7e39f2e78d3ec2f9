package org.qimg.format;

/**
 * A file in a format qimg recognises but does not read (vmdk, vhdx, ..., a compressed file, an archive),
 * probed or named. The message is qemu-img's shape, {@code Could not open 'F': <what it is and what to do>}.
 */
public class UnsupportedFormatException extends UnsupportedFeatureException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFormatException(String message) {
        super(message);
    }
}
