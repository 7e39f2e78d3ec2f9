package org.qimg.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Build-time only (run by the cli pom at {@code package}, left out of qimg.jar): generates, from the same
 * command specs the program parses with, picocli's bash completion script (zsh loads it through
 * {@code bashcompinit}) and picocli-codegen's AsciiDoc man page sources, one per command, which the build
 * turns into man pages.
 *
 * <p>Arguments: {@code OUTDIR}; writes {@code OUTDIR/completion/qimg} (bash), {@code OUTDIR/completion/qimg.zsh}
 * and {@code OUTDIR/man-adoc/*.adoc}.
 */
public final class DocsGenerator {
    private DocsGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: DocsGenerator OUTDIR");
        }
        Path out = Path.of(args[0]);
        CommandLine cl = Main.commandLine();
        Path completion = out.resolve("completion");
        Files.createDirectories(completion);
        File bash = completion.resolve("qimg").toFile();
        AutoComplete.bash("qimg", bash, null, cl);
        Files.copy(bash.toPath(), completion.resolve("qimg.zsh"), StandardCopyOption.REPLACE_EXISTING);
        Path adoc = out.resolve("man-adoc");
        Files.createDirectories(adoc);
        int rc = ManPageGenerator.generateManPage(adoc.toFile(), null, new boolean[0], true, cl.getCommandSpec());
        if (rc != 0) {
            throw new IOException("man page generation failed: " + rc);
        }
    }
}
