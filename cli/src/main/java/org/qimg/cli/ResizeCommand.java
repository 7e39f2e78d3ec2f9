package org.qimg.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.resize.ImageResizer;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.ResizeRequest;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code qimg resize [--shrink] [--preallocation=MODE] [-f FMT] [-q] FILE [+|-]SIZE}, as qemu-img resize:
 * the size is always the last argument, even when it starts with '-' (qemu-img takes it off before parsing
 * options), and the messages and exit codes are qemu-img's.
 */
final class ResizeCommand implements Callable<Integer> {
    static final String SIZE_SYNTAX = "Parameter 'size' expects a non-negative number below 2^64";
    static final String SIZE_SYNTAX_HINT = "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
            + "and exabytes, respectively.\n";
    private CommandSpec spec;

    static CommandSpec spec() {
        ResizeCommand c = new ResizeCommand();
        c.spec = Specs.command("resize", c, "Change the virtual size of an image, as qemu-img resize.")
                .addOption(Specs.option("FMT", "Image format (default: probe).", "-f"))
                .addOption(Specs.flag("Quiet: do not print 'Image resized.'.", "-q"))
                .addOption(Specs.flag("Allow the image to get smaller (data past the new end is lost).",
                        "--shrink"))
                .addOption(Specs.option("MODE", "Preallocation of the added area: off, metadata, falloc, full.",
                        "--preallocation"))
                .addOption(ImageOptions.imageOpts())
                .addPositional(PositionalParamSpec.builder().index("0..*").arity("0..*").paramLabel("FILE SIZE")
                        .hideParamSyntax(true).type(List.class).auxiliaryTypes(String.class)
                        .description("The image, then the new size: SIZE, +SIZE or -SIZE (k, M, G, T, P, E).")
                        .build());
        c.spec.parser().unmatchedOptionsArePositionalParams(true).overwrittenOptionsAllowed(true);
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        List<String> original = args.originalArgs();
        // original[0] is "resize"; qemu-img needs at least a file name and a size after it
        if (original.size() < 3) {
            throw new ExitCodeException(1, "Not enough arguments", "Try 'qimg --help' for more information\n");
        }
        String size = original.get(original.size() - 1);
        List<String> positional = args.matchedPositionalValue(0, List.<String>of());
        List<String> files = positional;
        if (!positional.isEmpty() && positional.get(positional.size() - 1).equals(size)) {
            files = positional.subList(0, positional.size() - 1);
        }
        if (files.size() != 1) {
            throw new ExitCodeException(1, "Expecting image file name and size",
                    "Try 'qimg --help' for more information\n");
        }
        String format = args.matchedOptionValue("-f", null);
        boolean quiet = args.matchedOptionValue("-q", false);
        boolean shrink = args.matchedOptionValue("--shrink", false);
        String preallocName = args.matchedOptionValue("--preallocation", null);
        ResizeRequest.Preallocation prealloc = ResizeRequest.Preallocation.OFF;
        if (preallocName != null) {
            prealloc = ResizeRequest.Preallocation.parse(preallocName);
            if (prealloc == null) {
                throw new ExitCodeException(1, "Invalid preallocation mode '" + preallocName + "'");
            }
        }
        int sign = 0;
        String amount = size;
        if (size.startsWith("+") || size.startsWith("-")) {
            sign = size.charAt(0) == '+' ? 1 : -1;
            amount = size.substring(1);
        }
        long n = QemuOptionSyntax.parseSize(amount);
        if (n == QemuOptionSyntax.SIZE_OUT_OF_RANGE) {
            n = -1; // 2^63 or more: qemu-img's int64 arithmetic makes the size negative
        } else if (n < 0) {
            throw new ExitCodeException(1, SIZE_SYNTAX, SIZE_SYNTAX_HINT);
        }
        String name = files.get(0);
        var located = org.qimg.format.spec.SpecOpener.locate(ImageOptions.imageName(args, name), format);
        Path file = located.file();
        format = located.format();
        if (located.window()) {
            throw new ExitCodeException(1, "qimg cannot resize through raw's offset or size options: " + name);
        }
        var err = spec.commandLine().getErr();
        try {
            new ImageResizer().resize(file, format, new ImageResizer.SizeChange(sign, n), shrink, prealloc,
                    probed -> {
                        if (probed.equals("raw")) {
                            err.print(rawProbeWarning(name));
                            err.flush();
                        }
                    });
        } catch (ImageResizer.ShrinkRefusedException e) {
            throw new ExitCodeException(1, e.getMessage() + "\nwarning: " + ImageResizer.ShrinkRefusedException.WARNING);
        }
        if (!quiet) {
            spec.commandLine().getOut().println("Image resized.");
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** QEMU's warning when a write open probed a raw image. */
    static String rawProbeWarning(String file) {
        return "WARNING: Image format was not specified for '" + file + "' and probing guessed raw.\n"
                + "         Automatically detecting the format is dangerous for raw images, write operations on"
                + " block 0 will be restricted.\n"
                + "         Specify the 'raw' format explicitly to remove the restrictions.\n";
    }
}
