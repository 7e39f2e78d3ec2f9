package org.qimg.converters.compare;

import java.io.IOException;

/**
 * The allocation status of a range could not be determined (bad metadata met while mapping, before any
 * data of the range was read): what qemu-img compare reports as "Sector allocation test failed" with exit
 * code 3, as opposed to a failed read (exit code 4). The message is the cause's.
 */
public final class BlockStatusException extends IOException {
    private static final long serialVersionUID = 1L;

    BlockStatusException(IOException cause) {
        super(cause.getMessage(), cause);
    }
}
