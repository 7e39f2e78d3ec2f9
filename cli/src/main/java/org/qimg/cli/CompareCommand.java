package org.qimg.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.compare.BlockStatusException;
import org.qimg.converters.compare.CompareResult;
import org.qimg.converters.compare.ImageComparator;
import org.qimg.converters.compare.QemuCompareSteps;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.OpenOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code qimg compare}: qemu-img compare's messages and exit codes (0 same, 1 different, 2 open error,
 * 3 allocation status error, 4 read error).
 */
final class CompareCommand implements Callable<Integer> {
    static final int EXIT_OPEN_ERROR = 2;
    static final int EXIT_STATUS_ERROR = 3;
    static final int EXIT_READ_ERROR = 4;

    private CommandSpec spec;

    static CommandSpec spec() {
        CompareCommand c = new CompareCommand();
        c.spec = Specs.command("compare", c, "Compare the guest content of two images.")
                .addOption(Specs.option("FMT", "Format of the first image (probed when absent).", "-f"))
                .addOption(Specs.option("FMT", "Format of the second image (probed when absent).", "-F"))
                .addOption(ProgressMode.flag())
                .addOption(ProgressMode.option())
                .addOption(Specs.flag("Quiet: print nothing on stdout.", "-q"))
                .addOption(Specs.flag("Strict: images of different sizes or allocation differ.", "-s"))
                .addOption(ImageOptions.forceShare())
                .addOption(ImageOptions.imageOpts())
                .addOption(ImageOptions.ignoredCache())
                .addPositional(Specs.positional(0, "FILE1", Path.class, "The first image."))
                .addPositional(Specs.positional(1, "FILE2", Path.class, "The second image, compared with the first."));
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String format1 = args.matchedOptionValue("-f", null);
        String format2 = args.matchedOptionValue("-F", null);
        boolean progress = args.matchedOptionValue("-p", false);
        boolean quiet = args.matchedOptionValue("-q", false);
        boolean strict = args.matchedOptionValue("-s", false);
        if (ImageOptions.imageOpts(args) && (args.hasMatchedOption("-f") || args.hasMatchedOption("-F"))) {
            throw new ExitCodeException(2, "--image-opts and --format are mutually exclusive");
        }
        boolean formats = false;
        Path file1 = Path.of(ImageOptions.imageName(ImageOptions.imageOpts(args), formats,
                args.matchedPositionalValue(0, null).toString()));
        Path file2 = Path.of(ImageOptions.imageName(ImageOptions.imageOpts(args), formats,
                args.matchedPositionalValue(1, null).toString()));
        PrintWriter out = spec.commandLine().getOut();
        OpenOptions options = ImageOptions.readOptions(args);
        ProgressMode mode = ProgressMode.of(args, spec, quiet, ProgressMode.terminal(false));
        try (Progress p = new Progress(mode, out, System.out, "comparing", 2.0f, Progress.FRACTION)) {
            return compare(p, file1, format1, file2, format2, options, strict, quiet, out);
        }
    }

    private static int compare(Progress p, Path file1, String format1, Path file2, String format2,
            OpenOptions options, boolean strict, boolean quiet, PrintWriter out) throws IOException {
        DiskImage a = open(file1, format1, options);
        try (a; DiskImage b = open(file2, format2, options)) {
            p.begin();
            long total = Math.max(a.virtualSize(), b.virtualSize());
            p.started(total);
            CompareCounting counting = null;
            if (p.mode() == ProgressMode.PLAIN) {
                // qemu-img's lines: counted in its own chunks, each once it is confirmed, so one worker
                counting = new CompareCounting(new QemuCompareSteps(a, b), out);
                p.counting(counting);
            }
            CompareResult r;
            try {
                ImageComparator comparator = counting != null ? new ImageComparator(1) : new ImageComparator();
                r = comparator.compare(a, b, strict, p);
            } catch (BlockStatusException e) {
                throw new ExitCodeException(EXIT_STATUS_ERROR, ErrorHandler.message(e));
            } catch (IOException e) {
                throw new ExitCodeException(EXIT_READ_ERROR, ErrorHandler.message(e));
            }
            switch (r.kind()) {
                case IDENTICAL -> p.finished();
                case CONTENT, STRICT_STATUS -> p.progress(r.offset(), total); // the chunks before it
                default -> { }
            }
            StringBuilder s = new StringBuilder();
            if (r.sizeMismatch() && r.kind() != CompareResult.Kind.STRICT_SIZE
                    && (counting == null || !counting.warned())) {
                // qemu-img prints the warning once the common part has matched
                if (r.kind() != CompareResult.Kind.CONTENT || r.offset() >= Math.min(a.virtualSize(), b.virtualSize())) {
                    s.append("Warning: Image size mismatch!\n");
                }
            }
            switch (r.kind()) {
                case IDENTICAL -> s.append("Images are identical.\n");
                case CONTENT -> s.append("Content mismatch at offset ").append(r.offset()).append("!\n");
                case STRICT_SIZE -> s.append("Strict mode: Image size mismatch!\n");
                case STRICT_STATUS -> s.append("Strict mode: Offset ").append(r.offset())
                        .append(" block status mismatch!\n");
                default -> throw new IllegalStateException();
            }
            if (p.mode() != ProgressMode.PLAIN) {
                p.close(); // the bar's line ends before the verdict (qemu-img's plain line ends after it)
            }
            if (!quiet) {
                out.print(s);
                out.flush();
            }
            return r.identical() ? 0 : 1;
        }
    }

    private static DiskImage open(Path file, String format, OpenOptions options) {
        try {
            return ImageFormats.open(file, format, options);
        } catch (IOException | RuntimeException e) {
            throw new ExitCodeException(EXIT_OPEN_ERROR, ErrorHandler.message(e), ErrorHandler.hint(e));
        }
    }
}
