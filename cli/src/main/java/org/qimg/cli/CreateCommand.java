package org.qimg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qimg.converters.create.ImageCreator;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.qcow2.Qcow2CreateOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code qimg create -f FMT [-o OPTIONS] [-b BACKING -F FMT] FILE [SIZE]}, as qemu-img create. */
@Command(name = "create", description = "Create a new empty disk image (raw or qcow2), as qemu-img create.")
final class CreateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "-f", description = "Image format: qcow2 or raw (default raw).")
    String format = "raw";

    @Option(names = "-o", description = "Format options, k=v[,k=v...]; '-o help' lists them.")
    java.util.List<String> options = new java.util.ArrayList<>();

    @Option(names = "-b", description = "Backing file (qcow2 only).")
    String backing;

    @Option(names = "-F", description = "Format of the backing file.")
    String backingFormat;

    @Option(names = "-q", description = "Quiet: do not print the 'Formatting' line.")
    boolean quiet;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE")
    Path file;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE",
            description = "Virtual size in bytes, or with suffix k, M, G, T, P, E.")
    String size;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        String opts = String.join(",", options);
        if (QemuOptionSyntax.splitOptions(opts).containsKey("help") || opts.equals("?")) {
            if (format.equals("qcow2")) {
                out.print(Qcow2CreateOptions.helpText());
            } else {
                out.println("Supported raw options:");
                out.println("  size=<size>            - Virtual disk size");
            }
            out.flush();
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
            ImageCreator.Plan plan = ImageCreator.plan(file, format, opts, backing, backingFormat, bytes);
            if (!quiet) {
                out.println("Formatting '" + file + "', fmt=" + plan.format() + " " + plan.description());
                out.flush();
            }
            ImageCreator.create(plan);
        } catch (ImageException e) {
            String m = e.getMessage();
            m = m.startsWith(file + ": ") ? m : file + ": " + m;
            int h = m.indexOf(ImageCreator.HINT);
            if (h >= 0) { // qemu-img's hint: its own lines after the message
                throw new ExitCodeException(1, m.substring(0, h), m.substring(h + ImageCreator.HINT.length()));
            }
            throw new ImageException(m, e);
        }
        return 0;
    }
}
