package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.commit.Committer;
import org.qimg.format.QemuOptionSyntax;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qimg commit [-q] [-f FMT] [-t CACHE] [-b BASE] [-r RATE] [-d] [-p] FILENAME}, as qemu-img 7.2's commit:
 * options read as its getopt string {@code ":f:ht:b:dpqr:"} reads them, its messages and exit codes. The rate
 * limit ({@code -r}, bytes per second) is checked as qemu-img checks it and applied as its job applies it. {@code -p} prints qemu-img's 0% and 100% lines and
 * the fraction of the committed bytes in between (qemu-img's lines in between depend on its job's timing).
 */
final class CommitCommand implements Callable<Integer> {
    private static final String SHORT = "f:ht:b:dpqr:";
    private CommandSpec spec;

    static CommandSpec spec() {
        CommitCommand c = new CommitCommand();
        c.spec = Specs.getoptCommand("commit", c, "Write an overlay's data into its backing file, as qemu-img commit.",
                "qemu-img commit's options and the image FILENAME, in any order:",
                                "-b BASE: commit down to this image of the backing chain (implies -d)",
                                "-d: leave the image's data in it (default: empty it afterwards)",
                                "-f FMT: the image's format (default: probe)",
                                "-p: progress; -q: quiet",
                                "-t CACHE: cache mode (checked, then ignored); -r RATE: rate limit in bytes"
                                        + " per second for the copy");
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = Specs.argsAfterCommand(spec);
        QemuGetopt g = QemuGetopt.parse("commit", args, SHORT,
                QemuGetopt.longs("help", "h", "object", "object:", "image-opts", "image-opts"));
        String fmt = null;
        String base = null;
        String cache = "writeback";
        boolean drop = false;
        boolean progress = false;
        boolean quiet = false;
        long rate = 0;
        for (QemuGetopt.Opt o : g.options()) {
            switch (o.key()) {
                case "h" -> {
                    spec.commandLine().usage(spec.commandLine().getOut());
                    return 0;
                }
                case "f" -> fmt = o.arg();
                case "t" -> cache = o.arg();
                case "b" -> {
                    base = o.arg();
                    drop = true;
                }
                case "d" -> drop = true;
                case "p" -> progress = true;
                case "q" -> quiet = true;
                case "r" -> rate = rate(o.arg());
                case "object" -> throw new ExitCodeException(1, "qimg does not support --object");
                case "image-opts" -> throw new ExitCodeException(1, "qimg does not support --image-opts");
                default -> throw new IllegalStateException(o.key());
            }
        }
        if (g.operands().size() != 1) {
            throw new ExitCodeException(1, "Expecting one image file name", QemuGetopt.TRY);
        }
        if (!QemuGetopt.validCache(cache)) {
            throw new ExitCodeException(1, "Invalid cache option: " + cache);
        }
        Path file = Path.of(org.qimg.format.spec.SpecOpener.fileForWriting(g.operands().get(0)));
        PrintWriter out = spec.commandLine().getOut();
        ProgressMode mode = progress && !quiet ? (ProgressMode.terminal(false) ? ProgressMode.BAR : ProgressMode.PLAIN)
                : ProgressMode.NONE;
        try (Progress p = new Progress(mode, out, System.out, "committing", 1.0f, Progress.FRACTION)) {
            try {
                new Committer(p, p::begin).commit(new Committer.Request(file, fmt, base, drop, rate));
            } catch (IOException e) {
                throw new ExitCodeException(1, ErrorHandler.message(e), ErrorHandler.hint(e));
            }
        }
        if (!quiet) {
            out.print("Image committed.\n");
            out.flush();
        }
        return 0;
    }

    /** qemu-img's {@code cvtnum("rate limit", ...)}: a size from 0 to 2^63 - 1, in bytes per second. */
    private static long rate(String value) {
        long n = QemuOptionSyntax.parseSize(value);
        if (n == QemuOptionSyntax.SIZE_OUT_OF_RANGE) {
            throw new ExitCodeException(1, "Invalid rate limit specified. Must be between 0 and "
                    + Long.MAX_VALUE + ".");
        }
        if (n < 0) {
            throw new ExitCodeException(1, "Invalid rate limit specified. You may use k, M, G, T, P or E suffixes"
                    + " for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        }
        return n;
    }
}
