package org.qimg.format;

/**
 * The file protocol could not open a file: it is missing, unreadable, or a directory. The message is the file
 * driver's own ({@code Could not open 'F': No such file or directory}, {@code 'file' driver requires 'F' to be a
 * regular file}); qemu-img's open of a named image puts {@code Could not open 'NAME': } before it
 * ({@link ImageFormats#open}), an image that refers to the file (a backing file) its own words.
 */
public class FileAccessException extends ImageException {
    private static final long serialVersionUID = 1L;

    public FileAccessException(String message) {
        super(message);
    }

    /** This failure as the open of the image named {@code name} reports it: that name first. */
    public FileOpenException named(String name) {
        return new FileOpenException(name, getMessage(), this);
    }
}
