package org.qimg.cli;

/** Ends a command with a specific exit code after its message has been printed by the error handler. */
final class ExitCodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;
    private final String hint;

    ExitCodeException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    /** @param hint printed after the message line as is (no prefix, no added newline), as qemu's error hints */
    ExitCodeException(int exitCode, String message, String hint) {
        super(message);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    String hint() {
        return hint;
    }

    int exitCode() {
        return exitCode;
    }
}
