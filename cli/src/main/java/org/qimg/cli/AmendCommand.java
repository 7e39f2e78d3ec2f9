package org.qimg.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.amend.ImageAmend;
import org.qimg.format.AmendRequest;
import org.qimg.format.ImageException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qimg amend [--image-opts] [-p] [-q] [-f FMT] [-t CACHE] [--force] -o OPTIONS FILENAME}, as qemu-img
 * amend: the options are read as its getopt string {@code ":ho:f:t:pq"} with the long options
 * {@code --object}, {@code --image-opts} and {@code --force} reads them (options and the file name in any
 * order, several {@code -o} joined with commas), then its checks in its order, its messages and exit code 1.
 * Progress ({@code -p}) is qemu-img's, with its 1% steps.
 */
final class AmendCommand implements Callable<Integer> {
    private static final String TRY = "Try 'qimg --help' for more information\n";
    private CommandSpec spec;

    static CommandSpec spec() {
        AmendCommand c = new AmendCommand();
        c.spec = Specs.getoptCommand("amend", c, "Change the format-specific options of an image in place, as qemu-img"
                        + " amend (qcow2: compat, refcount_bits, lazy_refcounts, size, data_file, data_file_raw).",
                "qemu-img amend's options and the image FILENAME, in any order:",
                                "-o OPTIONS: the options to change (required; -o help lists them)",
                                "-f FMT: the image's format (default: probe)",
                                "-t CACHE: cache mode (checked, as qemu-img; qimg always writes through)",
                                "-p: show progress; -q: quiet",
                                "--force: allow unsafe changes (QEMU: LUKS keyslots)",
                                "--image-opts: FILENAME is driver=FMT,file.filename=PATH");
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = Specs.argsAfterCommand(spec);
        List<String> lists = new ArrayList<>();
        String format = null;
        String cache = "writeback";
        boolean progress = false;
        boolean quiet = false;
        boolean imageOpts = false;
        boolean force = false;
        List<String> files = new ArrayList<>();
        boolean options = true;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!options || !a.startsWith("-") || a.equals("-")) {
                files.add(a);
                continue;
            }
            if (a.equals("--")) {
                options = false;
                continue;
            }
            if (a.startsWith("--")) {
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                switch (name) {
                    case "--image-opts" -> imageOpts = true;
                    case "--force" -> force = true;
                    case "--debug" -> { }
                    case "--object" -> throw new ExitCodeException(1, "qimg does not support --object");
                    default -> throw new ExitCodeException(1, "unrecognized option '" + a + "'", TRY);
                }
                continue;
            }
            for (int k = 1; k < a.length(); k++) {
                char o = a.charAt(k);
                switch (o) {
                    case 'p' -> progress = true;
                    case 'q' -> quiet = true;
                    case 'h' -> {
                        spec.commandLine().usage(spec.commandLine().getOut());
                        return 0;
                    }
                    case 'o', 'f', 't' -> {
                        String v;
                        if (k + 1 < a.length()) {
                            v = a.substring(k + 1);
                        } else if (i + 1 < args.size()) {
                            v = args.get(++i);
                        } else {
                            throw new ExitCodeException(1, "missing argument for option '-" + o + "'", TRY);
                        }
                        k = a.length();
                        switch (o) {
                            case 'o' -> {
                                FormatOptions.checkSyntax(List.of(v));
                                lists.add(v);
                            }
                            case 'f' -> format = v;
                            default -> cache = v;
                        }
                    }
                    default -> throw new ExitCodeException(1, "unrecognized option '" + a + "'", TRY);
                }
            }
        }
        if (lists.isEmpty()) {
            throw new ExitCodeException(1, "Must specify options (-o)", TRY);
        }
        String optionList = String.join(",", lists);
        boolean help = FormatOptions.helpRequested(lists);
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        ProgressMode mode = progress && !quiet ? (ProgressMode.terminal(false) ? ProgressMode.BAR : ProgressMode.PLAIN)
                : ProgressMode.NONE;
        try (Progress p = new Progress(mode, out, System.out, "amending", 1.0f, AmendCommand::count)) {
            if (format != null && help) {
                out.print(ImageAmend.help(format));
                out.flush();
                return 0;
            }
            if (files.size() != 1) {
                throw new ExitCodeException(1, "Expecting one image file name");
            }
            switch (cache) {
                case "none", "off", "writeback", "writethrough", "directsync", "unsafe" -> { }
                default -> throw new ExitCodeException(1, "Invalid cache option: " + cache);
            }
            String name = files.get(0);
            boolean dataFileGiven = false;
            if (imageOpts) {
                ImageOpts io = ImageOpts.parse(name);
                name = io.file;
                format = io.driver;
                if (io.dataFile != null) {
                    ImageAmend.formatOf(Path.of(io.dataFile), "raw", null, false); // it must open, as QEMU's
                    dataFileGiven = true;
                }
            }
            Path file = Path.of(name);
            String fileName = name;
            String probed = ImageAmend.formatOf(file, format, f -> {
                if (f.equals("raw")) {
                    err.print(ResizeCommand.rawProbeWarning(fileName));
                    err.flush();
                }
            }, dataFileGiven);
            if (help) {
                out.print(ImageAmend.help(probed));
                out.flush();
                return 0;
            }
            p.begin();
            try {
                ImageAmend.amend(file, probed, optionList, force, p::progress, new AmendRequest.Log() {
                    @Override
                    public void line(String text) {
                        err.println(text);
                        err.flush();
                    }

                    @Override
                    public void error(String message) {
                        err.println("qimg: " + message);
                        err.flush();
                    }
                });
            } catch (ImageException e) {
                String m = e.getMessage();
                int nl = m == null ? -1 : m.indexOf('\n');
                if (nl >= 0) {
                    // QEMU's error hint: the lines after the message, printed as they are
                    throw new ExitCodeException(1, m.substring(0, nl), m.substring(nl + 1) + "\n");
                }
                throw e;
            } finally {
                p.finished(); // qemu-img prints its 100% line whether the amend worked or not
            }
        }
        return 0;
    }

    /** qemu-img's {@code amend_status_cb}: {@code 100.f * offset / total_work_size}, in float. */
    private static void count(QemuProgressLine line, long done, long total) throws IOException {
        if (total > 0) {
            line.print(100.f * done / total, 0);
        }
    }

    /**
     * The keys of {@code --image-opts} qimg reads (the format, the file, the external data file), and the
     * tuning options it may ignore.
     */
    private record ImageOpts(String driver, String file, String dataFile) {
        static ImageOpts parse(String text) throws ImageException {
            String driver = null;
            String file = null;
            String dataFile = null;
            for (var e : org.qimg.format.QemuOptionSyntax.splitOptions(text).entrySet()) {
                switch (e.getKey()) {
                    case "driver" -> driver = e.getValue();
                    case "file.filename" -> file = e.getValue();
                    case "data-file.filename" -> dataFile = e.getValue();
                    case "file.driver" -> {
                        if (!e.getValue().equals("file")) {
                            throw new ExitCodeException(1, "qimg does not support --image-opts with file.driver="
                                    + e.getValue());
                        }
                    }
                    case "l2-cache-size", "l2-cache-entry-size", "refcount-cache-size", "cache-size",
                            "cache-clean-interval" -> { } // cache tuning: no effect on the result
                    default -> throw new ExitCodeException(1, "qimg does not support the --image-opts option '"
                            + e.getKey() + "'");
                }
            }
            if (file == null) {
                throw new ExitCodeException(1, "qimg needs file.filename in --image-opts");
            }
            return new ImageOpts(driver, file, dataFile);
        }
    }
}
