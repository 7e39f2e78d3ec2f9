package org.qimg.format;

import java.io.IOException;

/**
 * Root of qimg's image errors. Every message names the file it is about so that a one-line report
 * ({@code qimg: <message>}) is enough for a user to find the problem.
 */
public class ImageException extends IOException {
    private static final long serialVersionUID = 1L;

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
