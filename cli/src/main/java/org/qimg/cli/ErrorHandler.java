package org.qimg.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.ImageException;
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
        // qimg's own errors are worded as qemu-img's (which name the file where qemu-img does); only errors
        // straight from the system get the file put in front
        String m = ex instanceof ExitCodeException ? lines(ex)
                : ex instanceof ImageException ? message(ex) : namingTheFile(message(ex), parsed);
        if (ex instanceof org.qimg.format.CorruptionSignalledException c) {
            err.println(c.event()); // QEMU's corruption event comes first, without the program's name
        }
        err.println("qimg: " + m);
        if (ex instanceof ExitCodeException e && e.hint() != null) {
            err.print(e.hint());
        } else if (ex instanceof ImageLockException e) {
            err.print(e.hint());
        } else if (ex instanceof org.qimg.format.FileOpenException e && e.hint() != null) {
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
        return ex instanceof ImageLockException e ? e.hint()
                : ex instanceof org.qimg.format.FileOpenException e ? e.hint() : null;
    }

    /**
     * Every error names the file: a message that names none of the command's file arguments (an I/O error
     * straight from the system, "No space left on device") gets the file in front when the command has just
     * one. Commands with several files name them in their own messages.
     */
    static String namingTheFile(String m, CommandLine.ParseResult parsed) {
        CommandLine.ParseResult p = parsed;
        while (p != null && p.subcommand() != null) {
            p = p.subcommand();
        }
        if (p == null) {
            return m;
        }
        List<String> files = new ArrayList<>();
        for (CommandLine.Model.PositionalParamSpec pos : p.matchedPositionals()) {
            if (!pos.paramLabel().equals("SIZE")) { // create FILE SIZE
                files.addAll(pos.originalStringValues());
            }
        }
        List<String> named = new ArrayList<>(files);
        for (CommandLine.Model.OptionSpec o : p.matchedOptions()) {
            for (String v : o.originalStringValues()) {
                if (v.contains("/") || java.nio.file.Files.exists(java.nio.file.Path.of(v))) {
                    named.add(v); // a file given to an option (--trace FILE) is named too
                }
            }
        }
        for (String f : named) {
            if (f.length() > 1 && m.contains(f)) {
                return m;
            }
        }
        return files.size() == 1 ? files.get(0) + ": " + m : m;
    }

    static String message(Throwable ex) {
        if (ex instanceof FileSystemException f) {
            // the JDK's message is the bare path when the OS gave no reason ("qimg: /dev/stdout")
            String reason = f.getReason() != null ? f.getReason() : reason(f);
            String who = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> "
                    + f.getOtherFile()) + ": ";
            return (who + reason).replace('\n', ' ');
        }
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }

    private static String reason(FileSystemException f) {
        if (f instanceof NoSuchFileException) {
            return "No such file or directory";
        } else if (f instanceof AccessDeniedException) {
            return "Permission denied";
        } else if (f instanceof FileAlreadyExistsException) {
            return "File exists";
        } else if (f instanceof NotDirectoryException) {
            return "Not a directory";
        } else if (f instanceof DirectoryNotEmptyException) {
            return "Directory not empty";
        }
        return f.getClass().getSimpleName().replace("Exception", "");
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
