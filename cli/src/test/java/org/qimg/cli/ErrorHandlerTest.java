package org.qimg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ErrorHandlerTest {
    private static CommandLine.ParseResult parse(String... args) {
        return Main.commandLine().parseArgs(args);
    }

    @Test
    void aFileSystemErrorWithoutReasonSaysWhatWentWrongWithWhichFile() {
        assertThat(ErrorHandler.message(new AccessDeniedException("/dev/stdout")))
                .isEqualTo("/dev/stdout: Permission denied");
        assertThat(ErrorHandler.message(new NoSuchFileException("a.qcow2"))).isEqualTo("a.qcow2: No such file or directory");
        assertThat(ErrorHandler.message(new java.nio.file.FileSystemException("x.raw", null, "Read-only file system")))
                .isEqualTo("x.raw: Read-only file system");
    }

    @Test
    void anErrorNamingNoFileGetsTheCommandsOnlyFile() {
        assertThat(ErrorHandler.namingTheFile("No space left on device", parse("create", "-f", "raw", "d.raw", "1G")))
                .isEqualTo("d.raw: No space left on device");
        assertThat(ErrorHandler.namingTheFile("Could not open 'd.raw': gone", parse("info", "d.raw")))
                .isEqualTo("Could not open 'd.raw': gone");
        // several files: the command's own messages name the right one; nothing is guessed
        assertThat(ErrorHandler.namingTheFile("Input/output error", parse("compare", "a.raw", "b.raw")))
                .isEqualTo("Input/output error");
        assertThat(ErrorHandler.namingTheFile("t/far.txt:2: past the end", parse("analyze", "--trace", "t/far.txt",
                "i.qcow2"))).isEqualTo("t/far.txt:2: past the end");
    }
}
