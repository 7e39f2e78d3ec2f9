package org.qimg.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/** Whether stderr is a terminal ({@code isatty(2)} through JNA; false where that cannot be asked). */
final class Terminal {
    interface LibC extends Library {
        int isatty(int fd);
    }

    private Terminal() {
    }

    static boolean stderrIsTerminal() {
        try {
            if (Platform.isWindows()) {
                return System.console() != null;
            }
            return Native.load("c", LibC.class).isatty(2) == 1;
        } catch (Throwable t) {
            return false;
        }
    }
}
