package org.qimg.cli;

import java.io.PrintWriter;
import org.qimg.format.ImageLockException;
import picocli.CommandLine;

/**
 * Turns exceptions into qemu-img style one-line errors ({@code qimg: message}) and exit codes. The stack
 * trace is printed only with {@code --debug}.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    /** qemu-img exits 1 for errors of nearly every command. */
    static final int EXIT_ERROR = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        String m = ex instanceof ExitCodeException ? lines(ex) : message(ex);
        err.println("qimg: " + m);
        if (ex instanceof ExitCodeException e && e.hint() != null) {
            err.print(e.hint());
        } else if (ex instanceof ImageLockException e) {
            err.print(e.hint());
        }
        if (debugRequested(parsed)) {
            ex.printStackTrace(err);
        }
        err.flush();
        if (ex instanceof ExitCodeException e) {
            return e.exitCode();
        }
        return EXIT_ERROR;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        PrintWriter err = ex.getCommandLine().getErr();
        String m = ex.getMessage();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && ex.getCommandLine().getParent() == null
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            m = "Command not found: " + u.getUnmatched().get(0); // qemu-img's words
        }
        err.println("qimg: " + m);
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            CommandLine.UnmatchedArgumentException.printSuggestions(u, err); // "Did you mean: ...?"
        }
        err.println("Try 'qimg " + (ex.getCommandLine().getCommandName().equals("qimg") ? ""
                : ex.getCommandLine().getCommandName() + " ") + "--help' for more information.");
        err.flush();
        return EXIT_ERROR;
    }

    /** A message that qemu-img prints on several lines: each line gets the "qimg: " prefix. */
    private static String lines(Throwable ex) {
        String m = ex.getMessage();
        return m == null || m.isBlank() ? message(ex) : m.replace("\n", System.lineSeparator() + "qimg: ");
    }

    /** The line qemu-img prints after the message of {@code ex} (its lock hint), or null. */
    static String hint(Throwable ex) {
        return ex instanceof ImageLockException e ? e.hint() : null;
    }

    static String message(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }

    private static boolean debugRequested(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }
}
