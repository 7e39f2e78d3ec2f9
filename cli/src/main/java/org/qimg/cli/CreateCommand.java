package org.qimg.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.create.CreateHintException;
import org.qimg.converters.create.ImageCreator;
import org.qimg.format.ImageException;
import org.qimg.format.ImageLockException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/** {@code qimg create -f FMT [-o OPTIONS] [-b BACKING -F FMT] FILE [SIZE]}, as qemu-img create. */
final class CreateCommand implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
        CreateCommand c = new CreateCommand();
        c.spec = Specs.command("create", c, "Create a new empty disk image (raw or qcow2), as qemu-img create.")
                .addOption(Specs.option("FMT", "Image format: qcow2 or raw (default raw).", "-f"))
                .addOption(Specs.repeated(String.class, "OPTIONS",
                        "Format options, k=v[,k=v...]; '-o help' lists them.", "-o"))
                .addOption(Specs.option("BACKING", "Backing file (qcow2 only).", "-b"))
                .addOption(Specs.option("FMT", "Format of the backing file.", "-F"))
                .addOption(Specs.flag("Unsafe: do not open the backing file (its format and the size must then be"
                        + " given).", "-u"))
                .addOption(Specs.flag("Quiet: do not print the 'Formatting' line.", "-q"))
                .addPositional(Specs.optionalPositional(0, "FILE", Path.class, "The image file to create."))
                .addPositional(Specs.optionalPositional(1, "SIZE", String.class,
                        "Virtual size in bytes, or with suffix k, M, G, T, P, E."));
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String format = args.matchedOptionValue("-f", "raw");
        List<String> options = args.matchedOptionValue("-o", List.of());
        String backing = args.matchedOptionValue("-b", null);
        String backingFormat = args.matchedOptionValue("-F", null);
        boolean quiet = args.matchedOptionValue("-q", false);
        boolean unsafe = args.matchedOptionValue("-u", false);
        Path file = args.matchedPositionalValue(0, null);
        String size = args.matchedPositionalValue(1, null);
        var out = spec.commandLine().getOut();
        FormatOptions.checkSyntax(options);
        String opts = String.join(",", options);
        if (FormatOptions.helpRequested(options)) {
            FormatOptions.printHelp(format, file != null, out);
            return 0;
        }
        if (file == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Expecting image file name");
        }
        Long bytes = null;
        if (size != null) {
            bytes = Sizes.parse("image size", size, spec.commandLine().getErr());
        }
        try {
            ImageCreator.Plan plan = ImageCreator.plan(file, format, opts, backing, backingFormat, bytes,
                    unsafe);
            if (!quiet) {
                out.println("Formatting '" + file + "', fmt=" + plan.format() + " " + plan.description());
                out.flush();
            }
            ImageCreator.create(plan);
        } catch (ImageLockException e) {
            throw e; // already "FILE: Failed to get ... lock", with its hint
        } catch (CreateHintException e) {
            throw new ExitCodeException(1, e.headline(), e.hint()); // qemu-img's hint: its own lines after it
        } catch (ImageException e) {
            String m = e.getMessage();
            String named = m.startsWith(file + ": ") ? m : file + ": " + m;
            if (m.endsWith(" expects a non-negative number below 2^64")) {
                throw new ExitCodeException(1, named, ResizeCommand.SIZE_SYNTAX_HINT); // qemu-img's size hint
            }
            throw new ImageException(named, e);
        }
        return 0;
    }
}
