package org.qimg.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * qemu-img's option parsing for the commands that read their arguments themselves: glibc's
 * {@code getopt_long} with an option string that starts with ':' (so qemu-img, not glibc, words the errors):
 * options and operands in any order (operands are gathered), {@code --} ends the options, short options
 * may be grouped ({@code -uq}) and take their argument from the rest of the word or the next one; long options
 * as {@code --name} or {@code --name=value}. Errors are qemu-img's: {@code unrecognized option 'WORD'} (the
 * word getopt had last consumed, as qemu-img prints {@code argv[optind - 1]}) and
 * {@code missing argument for option 'WORD'}.
 */
final class QemuGetopt {
    static final String TRY = "Try 'qimg --help' for more information\n";

    /** One option found: its short letter (or the long option's key) and its argument (or null). */
    record Opt(String key, String arg) {
    }

    private final List<Opt> options = new ArrayList<>();
    private final List<String> operands = new ArrayList<>();

    private QemuGetopt() {
    }

    /**
     * Parses {@code args} (those after the command's name, which {@code previous} is).
     *
     * @param shortOpts the letters, each followed by ':' when it takes an argument
     * @param longOpts  long option name to key (a letter for aliases of short options) and whether it takes an
     *                  argument (a trailing ':' on the key)
     */
    static QemuGetopt parse(String previous, List<String> args, String shortOpts, Map<String, String> longOpts) {
        QemuGetopt g = new QemuGetopt();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                g.operands.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (a.equals("--debug")) {
                continue; // qimg's own global option, handled by picocli
            }
            if (!a.startsWith("-") || a.equals("-")) {
                g.operands.add(a);
                continue;
            }
            if (a.startsWith("--")) {
                String name = a.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                String key = longOpts.get(name);
                if (key == null) {
                    throw unrecognized(a);
                }
                boolean takesArg = key.endsWith(":");
                key = takesArg ? key.substring(0, key.length() - 1) : key;
                if (takesArg && value == null) {
                    if (i + 1 >= args.size()) {
                        throw new ExitCodeException(1, "missing argument for option '" + a + "'", TRY);
                    }
                    value = args.get(++i);
                } else if (!takesArg && value != null) {
                    throw unrecognized(a);
                }
                g.options.add(new Opt(key, value));
                continue;
            }
            for (int k = 1; k < a.length(); k++) {
                char c = a.charAt(k);
                int at = shortOpts.indexOf(c);
                boolean last = k == a.length() - 1;
                if (c == ':' || at < 0) {
                    // getopt has moved past the word only when the letter was its last one
                    throw unrecognized(last ? a : i == 0 ? previous : args.get(i - 1));
                }
                boolean takesArg = at + 1 < shortOpts.length() && shortOpts.charAt(at + 1) == ':';
                if (!takesArg) {
                    g.options.add(new Opt(String.valueOf(c), null));
                    continue;
                }
                String value;
                if (!last) {
                    value = a.substring(k + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new ExitCodeException(1, "missing argument for option '" + a + "'", TRY);
                }
                g.options.add(new Opt(String.valueOf(c), value));
                break;
            }
        }
        return g;
    }

    private static ExitCodeException unrecognized(String word) {
        return new ExitCodeException(1, "unrecognized option '" + word + "'", TRY);
    }

    /** The options in the order given. */
    List<Opt> options() {
        return options;
    }

    /** The operands (file names) in the order given. */
    List<String> operands() {
        return operands;
    }

    /** Long options that map to short letters. */
    static Map<String, String> longs(String... pairs) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /** qemu's cache modes ({@code bdrv_parse_cache_mode}). */
    static boolean validCache(String mode) {
        return switch (mode) {
            case "none", "off", "directsync", "writeback", "unsafe", "writethrough" -> true;
            default -> false;
        };
    }
}
