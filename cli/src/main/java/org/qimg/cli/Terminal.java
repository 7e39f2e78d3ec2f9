package org.qimg.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/** Whether a standard stream is a terminal ({@code isatty} through JNA; false where that cannot be asked). */
final class Terminal {
    interface LibC extends Library {
        int isatty(int fd);
    }

    private Terminal() {
    }

    /** {@code isatty(fd)} for 1 (stdout) or 2 (stderr). */
    static boolean isTerminal(int fd) {
        try {
            if (Platform.isWindows()) {
                return System.console() != null;
            }
            return Native.load("c", LibC.class).isatty(fd) == 1;
        } catch (Throwable t) {
            return false;
        }
    }
}
