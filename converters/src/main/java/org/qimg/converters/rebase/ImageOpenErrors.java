package org.qimg.converters.rebase;

import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLockException;

/**
 * qemu-img's words for an image that its {@code img_open} could not open read-write (rebase, commit): the
 * block layer's error behind {@code Could not open 'FILE': }. The block layer's own error for a missing file
 * names the file again ({@code Could not open 'F': Could not open 'F': No such file or directory}); a backing
 * file that cannot be opened is {@code Could not open backing file: Could not open 'B': REASON}.
 */
public final class ImageOpenErrors {
    /** qimg's qcow2 reader's words for a backing file that is not there. */
    private static final Pattern MISSING_BACKING = Pattern.compile(
            "(?s)(.*): could not open backing file '(.*)': (No such file or directory)");

    private ImageOpenErrors() {
    }

    /** The error to report for {@code e}, thrown while opening {@code file}; lock errors are kept as they are. */
    public static IOException wrap(Path file, IOException e) {
        if (e instanceof ImageLockException || !(e instanceof ImageException) || e.getMessage() == null) {
            return e;
        }
        String m = e.getMessage();
        String prefix = "Could not open '" + file + "': ";
        Matcher b = MISSING_BACKING.matcher(m);
        if (b.matches() && b.group(1).equals(file.toString())) {
            return new ImageException(prefix + "Could not open backing file: Could not open '" + b.group(2) + "': "
                    + b.group(3), e);
        }
        if (m.startsWith(prefix) && !m.startsWith(prefix + "Could not open ")) {
            // (the open names the file and the failure already when it reads "Could not open 'F': Could not ...")
            return new ImageException(prefix + m, e);
        }
        return e;
    }
}
