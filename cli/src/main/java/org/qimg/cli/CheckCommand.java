package org.qimg.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.qimg.format.ImageFormat;
import org.qimg.format.ImageFormats;
import org.qimg.format.probe.ForeignFormat;
import org.qimg.format.qcow2.check.CheckMode;
import org.qimg.format.qcow2.check.CheckResult;
import org.qimg.format.qcow2.check.Qcow2Check;
import org.qimg.format.spec.SpecOpener;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** {@code qimg check}: qemu-img check's output, JSON keys and exit codes (0, 1, 2, 3, 63). */
final class CheckCommand implements Callable<Integer> {
    static final int EXIT_CORRUPT = 2;
    static final int EXIT_LEAKS = 3;
    static final int EXIT_NO_CHECK = 63;

    private CommandSpec spec;

    static CommandSpec spec() {
        CheckCommand c = new CheckCommand();
        c.spec = Specs.command("check", c, "Check an image for consistency (and repair it with -r).")
                .addOption(Specs.option("FMT", "Image format (probed when absent).", "-f"))
                .addOption(Specs.flag("Quiet: print nothing on stdout.", "-q"))
                .addOption(Specs.option("human|json", "Output format.", "--output"))
                .addOption(Specs.option("leaks|all", "Repair leaks, or all inconsistencies.", "-r"))
                .addOption(ImageOptions.forceShare())
                .addOption(ImageOptions.ignoredCache())
                .addOption(ImageOptions.imageOpts())
                .addPositional(Specs.positional(0, "FILE", String.class, "The image to check (and repair, with -r)."));
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String format = args.matchedOptionValue("-f", null);
        boolean quiet = args.matchedOptionValue("-q", false);
        String output = args.matchedOptionValue("--output", "human");
        String repair = args.matchedOptionValue("-r", null);
        String given = args.matchedPositionalValue(0, null);
        String name = ImageOptions.imageName(args, given);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CheckMode mode = CheckMode.NONE;
        if (repair != null) {
            mode = switch (repair) {
                case "leaks" -> CheckMode.LEAKS;
                case "all" -> CheckMode.ALL;
                default -> throw new ExitCodeException(1,
                        "Unknown option value for -r (expecting 'leaks' or 'all'): " + repair);
            };
        }
        boolean json = switch (output) {
            case "json" -> true;
            case "human" -> false;
            default -> throw new ExitCodeException(1, "--output must be used with human or json as argument.");
        };
        // a missing, unreadable or directory file: qemu-img's words, naming it twice (its open, the file driver)
        SpecOpener.Located located = SpecOpener.locate(name, format, false);
        Path file = located.file();
        format = located.format();
        ImageFormat fmt = format == null ? ImageFormats.probe(file) : ImageFormats.byName(format);
        if (fmt instanceof ForeignFormat foreign) {
            // recognised but not read by qimg: say so rather than "does not support checks"
            throw foreign.refusal(file);
        }
        java.util.function.Consumer<String> log = line -> {
            err.println(line);
            err.flush();
        };
        boolean forceShare = args.matchedOptionValue("-U", false);
        if (fmt.name().equals("vmdk") && repair == null) {
            return vmdk(file, given, forceShare, log, json, quiet, out);
        }
        if (!fmt.name().equals("qcow2")) {
            throw new ExitCodeException(EXIT_NO_CHECK, "This image format does not support checks");
        }
        StringBuilder held = new StringBuilder();
        CheckResult r = Qcow2Check.run(file, mode, log, forceShare);
        if (r.failure() == null && (r.corruptionsFixed() != 0 || r.leaksFixed() != 0)) {
            // qemu-img's stdout is line-buffered on a terminal; into a pipe or a file it comes out at exit, after
            // everything the re-check logs on stderr (scripts that merge the two see that order): held until then
            boolean lineBuffered = Main.usesSystemStreams() && Terminal.isTerminal(1);
            String summary = String.format("The following inconsistencies were found and repaired:%n%n"
                    + "    %d leaked clusters%n    %d corruptions%n%nDouble checking the fixed image now...%n",
                    r.leaksFixed(), r.corruptionsFixed());
            if (!json && !quiet) {
                if (lineBuffered) {
                    out.print(summary);
                    out.flush();
                } else {
                    held.append(summary);
                }
            }
            if (r.unusable()) {
                // QEMU made the image unusable (a fatal corruption event while repairing): its re-check fails
                err.println("qimg: Check failed: No medium found");
                err.flush();
                out.print(held);
                out.flush();
                return 1;
            }
            CheckResult again = Qcow2Check.run(file, CheckMode.NONE, log, forceShare);
            again.carryFixedCounts(r);
            r = again;
        }
        if (r.failure() != null) {
            out.print(held);
            throw new ExitCodeException(1, "Check failed: " + r.failure());
        }
        if (!quiet) {
            out.print(held);
            out.print(json ? json(r, given, fmt.name()) : human(r));
            out.flush();
        }
        if (r.checkErrors() != 0) {
            throw new ExitCodeException(1, "Check failed");
        }
        return r.corruptions() != 0 ? EXIT_CORRUPT : r.leaks() != 0 ? EXIT_LEAKS : 0;
    }

    /**
     * qemu-img check of a VMDK (vmdk_co_check): no counts, only whether every grain lies inside its file; the
     * first that does not is logged as an ERROR line and fails the check. Repair is not supported (63).
     */
    private static int vmdk(Path file, String given, boolean forceShare, java.util.function.Consumer<String> log, boolean json,
                            boolean quiet, PrintWriter out) throws Exception {
        String failure;
        org.qimg.format.OpenOptions open = org.qimg.format.OpenOptions.DEFAULT.withoutBacking().forceShare(forceShare);
        try (org.qimg.format.vmdk.read.VmdkImage img = org.qimg.format.vmdk.read.VmdkImage.open(file, open)) {
            failure = img.check(log);
        }
        if (failure != null) {
            throw new ExitCodeException(1, "Check failed: " + failure);
        }
        if (!quiet) {
            out.print(json ? "{\n    \"check-errors\": 0,\n    \"filename\": " + JsonText.quote(given)
                    + ",\n    \"format\": \"vmdk\"\n}\n" : "No errors were found on the image.\n");
            out.flush();
        }
        return 0;
    }

    /** dump_human_image_check's text. */
    static String human(CheckResult r) {
        StringBuilder s = new StringBuilder();
        if (r.corruptions() == 0 && r.leaks() == 0 && r.checkErrors() == 0) {
            s.append("No errors were found on the image.\n");
        } else {
            if (r.corruptions() != 0) {
                s.append('\n').append(r.corruptions()).append(" errors were found on the image.\n"
                        + "Data may be corrupted, or further writes to the image may corrupt it.\n");
            }
            if (r.leaks() != 0) {
                s.append('\n').append(r.leaks()).append(" leaked clusters were found on the image.\n"
                        + "This means waste of disk space, but no harm to data.\n");
            }
            if (r.checkErrors() != 0) {
                s.append('\n').append(r.checkErrors()).append(" internal errors have occurred during the check.\n");
            }
        }
        if (r.totalClusters() != 0 && r.allocatedClusters() != 0) {
            s.append(r.allocatedClusters()).append('/').append(r.totalClusters())
                    .append(" = ").append(percent(r.allocatedClusters() * 100.0 / r.totalClusters()))
                    .append("% allocated, ").append(percent(r.fragmentedClusters() * 100.0 / r.allocatedClusters()))
                    .append("% fragmented, ").append(percent(r.compressedClusters() * 100.0 / r.allocatedClusters()))
                    .append("% compressed clusters\n");
        }
        if (r.imageEndOffset() != 0) {
            s.append("Image end offset: ").append(r.imageEndOffset()).append('\n');
        }
        return s.toString();
    }

    /**
     * C's {@code printf("%.2f")}: the exact binary value rounded half-even (2/64 = 3.125 prints 3.12),
     * where Java's {@code %.2f} rounds half-up (3.13).
     */
    static String percent(double v) {
        return new java.math.BigDecimal(v).setScale(2, java.math.RoundingMode.HALF_EVEN).toPlainString();
    }

    /**
     * qemu-img's JSON: optional counters only when non-zero, keys in the order QEMU's QDict hash puts them
     * (the order is part of what scripts diff against).
     */
    static String json(CheckResult r, String filename, String format) {
        Map<String, Object> m = new LinkedHashMap<>();
        putIf(m, "image-end-offset", r.imageEndOffset());
        putIf(m, "compressed-clusters", r.compressedClusters());
        putIf(m, "total-clusters", r.totalClusters());
        putIf(m, "corruptions", r.corruptions());
        putIf(m, "corruptions-fixed", r.corruptionsFixed());
        m.put("check-errors", r.checkErrors());
        putIf(m, "leaks", r.leaks());
        putIf(m, "leaks-fixed", r.leaksFixed());
        putIf(m, "allocated-clusters", r.allocatedClusters());
        m.put("filename", filename);
        m.put("format", format);
        putIf(m, "fragmented-clusters", r.fragmentedClusters());
        StringBuilder s = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            s.append("    \"").append(e.getKey()).append("\": ");
            if (e.getValue() instanceof String str) {
                s.append(JsonText.quote(str));
            } else {
                s.append(e.getValue());
            }
            s.append(++i < m.size() ? ",\n" : "\n");
        }
        return s.append("}\n").toString();
    }

    private static void putIf(Map<String, Object> m, String key, long v) {
        if (v != 0) {
            m.put(key, v);
        }
    }
}
