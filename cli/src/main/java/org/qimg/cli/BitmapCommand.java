package org.qimg.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.bitmap.BitmapEditor;
import org.qimg.converters.bitmap.BitmapEditor.Action;
import org.qimg.converters.bitmap.BitmapEditor.Kind;
import org.qimg.format.ImageException;
import org.qimg.format.spec.BlockSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qimg bitmap (--merge SOURCE | --add | --remove | --clear | --enable | --disable)... [-b SOURCE_FILE
 * [-F SOURCE_FMT]] [-g GRANULARITY] [--image-opts | -f FMT] FILENAME BITMAP}, as qemu-img bitmap: the
 * persistent dirty bitmaps of a qcow2 image, changed by several actions applied in the order given. The
 * options are read as qemu-img's {@code getopt_long} reads them (string {@code ":b:f:F:g:h"}, long options
 * abbreviated to any unique prefix, options and operands in any order), so that the order of the actions is
 * kept and the messages are qemu-img's.
 */
final class BitmapCommand implements Callable<Integer> {
    private static final String TRY = "Try 'qimg --help' for more information\n";
    /** qemu-img bitmap's long options; those that take a value end in '='. */
    private static final List<String> LONG = List.of("help", "object=", "image-opts", "add", "remove", "clear",
            "enable", "disable", "merge=", "granularity=", "source-file=", "source-format=");
    private CommandSpec spec;

    static CommandSpec spec() {
        BitmapCommand c = new BitmapCommand();
        c.spec = Specs.getoptCommand("bitmap", c, "Change the persistent dirty bitmaps of a qcow2 image, as qemu-img"
                        + " bitmap: the actions are applied in order to bitmap BITMAP of FILENAME.",
                "qemu-img bitmap's options, then FILENAME and BITMAP:",
                                "--add: create BITMAP (with -g GRANULARITY bytes per bit; default: the cluster"
                                        + " size within 4k..64k)",
                                "--remove: delete BITMAP",
                                "--clear: reset every bit of BITMAP",
                                "--enable / --disable: BITMAP records writes / does not",
                                "--merge SOURCE: set the bits of bitmap SOURCE in BITMAP (SOURCE of image"
                                        + " SOURCE_FILE with -b, of format SOURCE_FMT with -F)",
                                "-f FMT: the image's format (default: probe); --image-opts: FILENAME is"
                                        + " driver=FMT,file.filename=PATH");
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = Specs.argsAfterCommand(spec);
        List<Action> actions = new ArrayList<>();
        List<String> operands = new ArrayList<>();
        String fmt = null;
        String srcFmt = null;
        String srcFile = null;
        long granularity = 0;
        boolean imageOpts = false;
        boolean add = false;
        boolean merge = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                operands.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                operands.add(a);
                continue;
            }
            String opt;
            String value = null;
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                String key = eq < 0 ? body : body.substring(0, eq);
                opt = longOption(a, key);
                boolean takes = opt.endsWith("=");
                opt = takes ? opt.substring(0, opt.length() - 1) : opt;
                if (eq >= 0 && !takes) {
                    throw new ExitCodeException(1, "option '--" + opt + "' doesn't allow an argument", TRY);
                }
                if (takes) {
                    if (eq >= 0) {
                        value = body.substring(eq + 1);
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new ExitCodeException(1, "missing argument for option '" + a + "'", TRY);
                    }
                }
            } else {
                // a cluster of short options, the last of which may take the rest or the next argument
                int k = 1;
                opt = null;
                while (k < a.length()) {
                    char c = a.charAt(k);
                    if ("bfFg".indexOf(c) >= 0) {
                        if (k + 1 < a.length()) {
                            value = a.substring(k + 1);
                        } else if (i + 1 < args.size()) {
                            value = args.get(++i);
                        } else {
                            throw new ExitCodeException(1, "missing argument for option '" + a + "'", TRY);
                        }
                        opt = String.valueOf(c);
                        break;
                    }
                    if (c == 'h') {
                        spec.commandLine().usage(spec.commandLine().getOut());
                        return 0;
                    }
                    // qemu-img names argv[optind - 1]: this argument once getopt has moved past its last
                    // character, else the one before it
                    String named = k == a.length() - 1 ? a : i == 0 ? "bitmap" : args.get(i - 1);
                    throw new ExitCodeException(1, "unrecognized option '" + named + "'", TRY);
                }
                if (opt == null) {
                    continue;
                }
            }
            switch (opt) {
                case "help" -> {
                    spec.commandLine().usage(spec.commandLine().getOut());
                    return 0;
                }
                case "b", "source-file" -> srcFile = value;
                case "f" -> fmt = value;
                case "F", "source-format" -> srcFmt = value;
                case "g", "granularity" -> granularity = Sizes.parse("granularity", value);
                case "add" -> {
                    actions.add(Action.of(Kind.ADD));
                    add = true;
                }
                case "remove" -> actions.add(Action.of(Kind.REMOVE));
                case "clear" -> actions.add(Action.of(Kind.CLEAR));
                case "enable" -> actions.add(Action.of(Kind.ENABLE));
                case "disable" -> actions.add(Action.of(Kind.DISABLE));
                case "merge" -> {
                    actions.add(new Action(Kind.MERGE, value));
                    merge = true;
                }
                case "image-opts" -> imageOpts = true;
                case "object" -> throw new ExitCodeException(1, "qimg does not support --object");
                default -> throw new IllegalStateException(opt);
            }
        }
        if (actions.isEmpty()) {
            throw new ExitCodeException(1, "Need at least one of --add, --remove, --clear, --enable, --disable, "
                    + "or --merge");
        }
        if (granularity != 0 && !add) {
            throw new ExitCodeException(1, "granularity only supported with --add");
        }
        if (srcFmt != null && srcFile == null) {
            throw new ExitCodeException(1, "-F only supported with -b");
        }
        if (srcFile != null && !merge) {
            throw new ExitCodeException(1, "Merge bitmap source file only supported with --merge");
        }
        if (operands.size() != 2) {
            throw new ExitCodeException(1, "Expecting filename and bitmap name");
        }
        String fileName = operands.get(0);
        if (imageOpts) {
            String[] fileAndFormat = imageOpts(fileName, fmt);
            fileName = fileAndFormat[0];
            fmt = fileAndFormat[1];
        }
        var err = spec.commandLine().getErr();
        String shown = fileName;
        fileName = org.qimg.format.spec.SpecOpener.fileForWriting(fileName);
        try {
            BitmapEditor.run(new BitmapEditor.Request(Path.of(fileName), fmt, operands.get(1), actions, granularity,
                    srcFile == null ? null : Path.of(srcFile), srcFmt), probed -> {
                        if (probed.equals("raw")) {
                            err.print(ResizeCommand.rawProbeWarning(shown));
                            err.flush();
                        }
                    }, w -> {
                        err.print("qimg: warning: " + w);
                        err.flush();
                    });
        } catch (ImageException e) {
            String m = e.getMessage();
            int nl = m == null ? -1 : m.indexOf('\n');
            if (nl < 0) {
                throw e; // as it is: a lock error keeps its hint line
            }
            // qemu-img prints an error's hint on the next line, without its prefix
            throw new ExitCodeException(1, m.substring(0, nl), m.substring(nl + 1) + "\n");
        }
        return 0;
    }

    /** The long option {@code key} names (exactly, or as the one option it is a prefix of), as getopt_long. */
    private static String longOption(String arg, String key) {
        List<String> matches = new ArrayList<>();
        for (String o : LONG) {
            String name = o.endsWith("=") ? o.substring(0, o.length() - 1) : o;
            if (name.equals(key)) {
                return o;
            }
            if (!key.isEmpty() && name.startsWith(key)) {
                matches.add(o);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new ExitCodeException(1, "unrecognized option '" + arg + "'", TRY);
        }
        throw new ExitCodeException(1, "option '" + arg + "' is ambiguous", TRY);
    }

    /** The file and driver an {@code --image-opts} string names, parsed as every command parses it. */
    private static String[] imageOpts(String text, String fmt) throws ImageException {
        if (fmt != null) {
            throw new ExitCodeException(1, "--image-opts and --format are mutually exclusive");
        }
        BlockSpec spec = BlockSpec.ofOptions(text);
        if (spec.windowed() || "file".equals(spec.driver())) {
            throw new ExitCodeException(1, "qimg keeps bitmaps only in a qcow2 image opened from a file");
        }
        return new String[] {spec.file().toString(), spec.driver()};
    }
}
