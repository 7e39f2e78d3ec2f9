package org.qimg.format;

/**
 * A file could not be opened at all: it is missing, a directory, unreadable, a FIFO or socket, or an
 * image's external data file is of a kind that cannot hold data. The message is qemu-img's line
 * {@code Could not open 'F': <reason>}. Lock conflicts are {@link ImageLockException}s, files in formats qimg
 * does not read {@link UnsupportedFormatException}s.
 */
public class FileOpenException extends ImageException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final String reason;
    private String hint;

    /**
     * @param file   the file as the message names it
     * @param reason why it could not be opened, e.g. {@code No such file or directory}
     */
    public FileOpenException(String file, String reason) {
        super(message(file, reason));
        this.file = file;
        this.reason = reason;
    }

    public FileOpenException(String file, String reason, Throwable cause) {
        super(message(file, reason), cause);
        this.file = file;
        this.reason = reason;
    }

    /**
     * With the hint line(s) qemu-img prints after the error (QEMU's {@code error_append_hint}), each ending in a
     * newline.
     */
    public FileOpenException(String file, String reason, String hint, Throwable cause) {
        this(file, reason, cause);
        this.hint = hint;
    }

    /** The text qemu-img prints after the error line, or null. */
    public String hint() {
        return hint;
    }

    private static String message(String file, String reason) {
        return "Could not open '" + file + "': " + reason;
    }

    /** The file that could not be opened. */
    public String file() {
        return file;
    }

    /** The failure without the "Could not open" prefix. */
    public String reason() {
        return reason;
    }
}
