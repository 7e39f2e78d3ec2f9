package org.qimg.cli;

/** Ends a command with a specific exit code after its message has been printed by the error handler. */
final class ExitCodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    ExitCodeException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
