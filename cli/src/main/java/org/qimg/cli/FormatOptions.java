package org.qimg.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.qimg.converters.create.ImageCreator;
import org.qimg.format.ImageException;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;

/** {@code -o OPTIONS} of create and convert as qemu-img reads it: the list's syntax and {@code -o help}. */
final class FormatOptions {
    /** The options of qemu-img's file protocol driver, listed after a format's when a target file is named. */
    private static final List<String> FILE_PROTOCOL_OPTIONS = List.of(
            "  extent_size_hint=<size> - Extent size hint for the image file, 0 to disable",
            "  nocow=<bool (on/off)>  - Turn off copy-on-write (valid only on btrfs)",
            "  preallocation=<str>    - Preallocation mode (allowed values: off, falloc, full)",
            "  size=<size>            - Virtual disk size");

    private FormatOptions() {
    }

    /**
     * qemu-img's {@code is_valid_option_list}: refused (exit 1, "Invalid option list: LIST") when empty, when
     * it starts with a comma, or ends in an odd number of commas (an even number is an escaped comma).
     */
    static void checkSyntax(List<String> lists) {
        for (String o : lists) {
            int trailing = 0;
            for (int i = o.length(); i > 0 && o.charAt(i - 1) == ','; i--) {
                trailing++;
            }
            if (o.isEmpty() || o.charAt(0) == ',' || trailing % 2 == 1) {
                throw new ExitCodeException(1, "Invalid option list: " + o);
            }
        }
    }

    /** Whether the lists ask for help ({@code help} or {@code ?} among the keys). */
    static boolean helpRequested(List<String> lists) throws ImageException {
        if (lists.isEmpty()) {
            return false;
        }
        String all = String.join(",", lists);
        var keys = QemuOptionSyntax.splitOptions(all);
        return keys.containsKey("help") || keys.containsKey("?") || all.equals("?");
    }

    /**
     * Prints the options of {@code format} as {@code qemu-img -o help} does: without a target file name under
     * "Supported FMT options:" and with qemu-img's closing hint; with one (qemu-img then adds its file
     * protocol's options) under "Supported options:". Only options qimg supports are listed.
     */
    static void printHelp(String format, boolean withFile, PrintWriter out) throws ImageException {
        String f = format.toLowerCase(Locale.ROOT);
        String text = switch (f) {
            case "qcow2" -> Qcow2CreateOptions.helpText();
            case "raw" -> "Supported raw options:\n  size=<size>            - Virtual disk size\n";
            default -> throw new ImageException(ImageCreator.READ_ONLY_FORMATS.contains(f)
                    ? "Format driver '" + f + "' does not support image creation"
                    : "Unknown file format '" + format + "'");
        };
        if (withFile) {
            // qemu-img adds its file protocol's options, and lists them all by name
            java.util.List<String> lines = new java.util.ArrayList<>(
                    java.util.Arrays.asList(text.substring(text.indexOf('\n') + 1).split("\n")));
            lines.addAll(FILE_PROTOCOL_OPTIONS);
            java.util.TreeMap<String, String> byName = new java.util.TreeMap<>();
            for (String l : lines) {
                byName.putIfAbsent(l.strip().substring(0, l.strip().indexOf('=')), l); // the format's own first
            }
            out.print("Supported options:\n" + String.join("\n", byName.values()) + "\n");
        } else {
            out.print(text);
            out.print("\nThe protocol level may support further options.\n"
                    + "Specify the target filename to include those options.\n");
        }
        out.flush();
    }
}
