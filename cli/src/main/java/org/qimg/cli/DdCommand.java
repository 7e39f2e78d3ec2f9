package org.qimg.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.dd.ImageDd;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qimg dd [-f FMT] [-O FMT] [-U] [bs=SIZE] [count=N] [skip=N] if=INPUT of=OUTPUT}, as qemu-img dd:
 * options as its getopt string {@code ":hf:O:U"} reads them, then {@code key=value} operands.
 */
final class DdCommand implements Callable<Integer> {
    private static final String TRY = "Try 'qimg --help' for more information\n";
    private CommandSpec spec;

    static CommandSpec spec() {
        DdCommand c = new DdCommand();
        c.spec = Specs.getoptCommand("dd", c, "Copy a range of an image into a new image, as qemu-img dd: "
                        + "[-f FMT] [-O FMT] [bs=SIZE] [count=BLOCKS] [skip=BLOCKS] if=INPUT of=OUTPUT.",
                "qemu-img dd's operands and options, in any order:",
                                "if=INPUT: the image to read (required)",
                                "of=OUTPUT: the image to create (required)",
                                "bs=SIZE: block size (default 512; k, M, G... suffixes)",
                                "count=BLOCKS: copy only this many blocks",
                                "skip=BLOCKS: skip this many blocks of the input",
                                "-f FMT: format of the input (default: probe)",
                                "-O FMT: format of the output (default: raw)",
                                "-U: open the input with force-share");
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        List<String> args = Specs.argsAfterCommand(spec);
        String inFormat = null;
        String outFormat = "raw";
        boolean force = false;
        boolean imageOpts = false;
        int i = 0;
        // getopt stops at the first operand (POSIXLY_CORRECT is not set, but operands contain no '-')
        java.util.List<String> operands = new java.util.ArrayList<>();
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                operands.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                operands.add(a);
                continue;
            }
            if (a.equals("--force-share")) {
                force = true;
                continue;
            }
            if (a.equals("--image-opts")) {
                imageOpts = true;
                continue;
            }
            if (a.startsWith("--")) {
                throw new ExitCodeException(1, "unrecognized option '" + a + "'", TRY);
            }
            for (int k = 1; k < a.length(); k++) {
                char o = a.charAt(k);
                switch (o) {
                    case 'U' -> force = true;
                    case 'f', 'O' -> {
                        String v;
                        if (k + 1 < a.length()) {
                            v = a.substring(k + 1);
                        } else if (i + 1 < args.size()) {
                            v = args.get(++i);
                        } else {
                            throw new ExitCodeException(1, "missing argument for option '-" + o + "'", TRY);
                        }
                        if (o == 'f') {
                            inFormat = v;
                        } else {
                            outFormat = v;
                        }
                        k = a.length();
                    }
                    default -> throw new ExitCodeException(1, "invalid option -- '" + o + "'", TRY);
                }
            }
        }
        long bs = 512;
        Long count = null;
        Long skip = null;
        String in = null;
        String out = null;
        for (String op : operands) {
            int eq = op.indexOf('=');
            if (eq < 0) {
                throw new ExitCodeException(1, "unrecognized operand " + op);
            }
            String key = op.substring(0, eq);
            String value = op.substring(eq + 1);
            switch (key) {
                case "bs" -> bs = blockSize(value);
                case "count" -> count = Sizes.parse("count", value);
                case "skip" -> skip = Sizes.parse("skip", value);
                case "if" -> in = value;
                case "of" -> out = value;
                default -> throw new ExitCodeException(1, "unrecognized operand " + key);
            }
        }
        if (in == null || out == null) {
            throw new ExitCodeException(1, "Must specify both input and output files");
        }
        var err = spec.commandLine().getErr();
        if (imageOpts) {
            // qemu-img dd does not refuse -f with --image-opts: the options name the driver
            in = ImageOptions.imageName(true, false, in);
            inFormat = null;
        }
        // of=file:NAME is NAME; another protocol is refused as qemu-img refuses it
        out = org.qimg.format.spec.FileNames.localFile(out);
        ImageDd.dd(Path.of(in), inFormat, force, outFormat, Path.of(out), new ImageDd.Operands(bs, count, skip),
                m -> {
                    err.println("qimg: " + m);
                    err.flush();
                });
        return 0;
    }

    /** qemu-img's {@code cvtnum_full("bs", arg, 1, INT_MAX)}. */
    private static long blockSize(String value) {
        long v = org.qimg.format.QemuOptionSyntax.parseSize(value);
        if (v == org.qimg.format.QemuOptionSyntax.SIZE_OUT_OF_RANGE || (v >= 0 && (v < 1 || v > Integer.MAX_VALUE))) {
            throw new ExitCodeException(1, "Invalid bs specified. Must be between 1 and " + Integer.MAX_VALUE + ".");
        }
        return Sizes.parse("bs", value);
    }
}
