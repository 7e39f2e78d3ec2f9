package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.rebase.Rebaser;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qimg rebase [-U] [-q] [-f FMT] [-t CACHE] [-T SRC_CACHE] [-p] [-u] [-c] -b BACKING_FILE [-F BACKING_FMT]
 * FILENAME}, as qemu-img 7.2's rebase: options read as its getopt string {@code ":hf:F:b:upt:T:qU"} reads them
 * (plus {@code -c}, compression of the written clusters, which qemu-img has from 8.2 on), its messages, exit
 * codes and {@code -p} lines (a step per unallocated run of the image, minimum step 2%).
 */
final class RebaseCommand implements Callable<Integer> {
    private static final String SHORT = "hf:F:b:upt:T:qUc";
    private CommandSpec spec;

    static CommandSpec spec() {
        RebaseCommand c = new RebaseCommand();
        c.spec = Specs.getoptCommand("rebase", c, "Change the backing file of an image, as qemu-img rebase.",
                "qemu-img rebase's options and the image FILENAME, in any order:",
                                "-b BACKING_FILE: the new backing file (\"\" for none: the image is flattened)",
                                "-F BACKING_FMT: its format (required unless -b \"\")",
                                "-u: unsafe: only the header changes (nothing is compared or copied)",
                                "-c: compress the clusters written into the image (qemu-img 8.2's -c)",
                                "-f FMT: the image's format (default: probe)",
                                "-p: progress; -q: quiet; -U: force share",
                                "-t CACHE, -T SRC_CACHE: cache modes (checked, then ignored)");
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = Specs.argsAfterCommand(spec);
        QemuGetopt g = QemuGetopt.parse("rebase", args, SHORT,
                QemuGetopt.longs("help", "h", "object", "object:", "image-opts", "image-opts", "force-share", "U"));
        String fmt = null;
        String backingFmt = null;
        String backing = null;
        String cache = "writeback";
        String srcCache = "writeback";
        boolean unsafe = false;
        boolean progress = false;
        boolean quiet = false;
        boolean force = false;
        boolean compress = false;
        for (QemuGetopt.Opt o : g.options()) {
            switch (o.key()) {
                case "h" -> {
                    spec.commandLine().usage(spec.commandLine().getOut());
                    return 0;
                }
                case "f" -> fmt = o.arg();
                case "F" -> backingFmt = o.arg();
                case "b" -> backing = o.arg();
                case "u" -> unsafe = true;
                case "p" -> progress = true;
                case "t" -> cache = o.arg();
                case "T" -> srcCache = o.arg();
                case "q" -> quiet = true;
                case "U" -> force = true;
                case "c" -> compress = true;
                case "object" -> throw new ExitCodeException(1, "qimg does not support --object");
                case "image-opts" -> throw new ExitCodeException(1, "qimg does not support --image-opts");
                default -> throw new IllegalStateException(o.key());
            }
        }
        if (g.operands().size() != 1) {
            throw new ExitCodeException(1, "Expecting one image file name", QemuGetopt.TRY);
        }
        if (!unsafe && backing == null) {
            throw new ExitCodeException(1, "Must specify backing file (-b) or use unsafe mode (-u)", QemuGetopt.TRY);
        }
        Path file = Path.of(org.qimg.format.spec.SpecOpener.fileForWriting(g.operands().get(0)));
        PrintWriter out = spec.commandLine().getOut();
        ProgressMode mode = progress && !quiet ? (ProgressMode.terminal(false) ? ProgressMode.BAR : ProgressMode.PLAIN)
                : ProgressMode.NONE;
        try (Progress p = new Progress(mode, out, System.out, "rebasing", 2.0f, new RebaseCounting())) {
            p.begin();
            if (!QemuGetopt.validCache(cache)) {
                throw new ExitCodeException(1, "Invalid cache option: " + cache);
            }
            if (!QemuGetopt.validCache(srcCache)) {
                throw new ExitCodeException(1, "Invalid source cache option: " + srcCache);
            }
            var err = spec.commandLine().getErr();
            Rebaser r = new Rebaser(p, notice -> {
                err.println("qimg: " + notice);
                err.flush();
            });
            try {
                r.rebase(new Rebaser.Request(file, fmt, backing, backingFmt, unsafe, compress, force));
            } catch (IOException e) {
                // qemu-img's messages name the files themselves
                throw new ExitCodeException(1, ErrorHandler.message(e), ErrorHandler.hint(e));
            }
        }
        return 0;
    }

    /**
     * qemu-img rebase's counting: each step adds {@code 100 / (size / min(size, 2 MiB))} percent (the division
     * in the parentheses is an integer one), then 100% once the header is written.
     */
    private static final class RebaseCounting implements Progress.Counting {
        private float step = -1;

        @Override
        public void progress(QemuProgressLine line, long done, long total) {
            if (step < 0) {
                step = total == 0 ? 0 : (float) 100 / (total / Math.min(total, Rebaser.IO_BUF_SIZE));
            }
            line.print(step, 100);
        }
    }
}
