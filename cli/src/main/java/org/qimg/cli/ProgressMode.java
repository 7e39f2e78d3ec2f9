package org.qimg.cli;

import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * How a command shows progress: {@code -p} as qemu-img (its plain lines when stdout is not a terminal, a bar
 * with rate and ETA when it is), or {@code --progress=MODE} to choose: {@code plain}, {@code bar} or
 * {@code json} (one JSON object per line, for programs). Progress goes to stdout, where qemu-img prints it
 * and programs read it (stderr when stdout carries the data, {@code convert ... -}).
 */
enum ProgressMode {
    NONE, PLAIN, BAR, JSON;

    /** {@code -p}, as every command with progress declares it. */
    static OptionSpec flag() {
        return Specs.flag("Show progress on stdout, as qemu-img: a line \"    (NN.NN/100%%)\" rewritten with "
                + "\\r when stdout is not a terminal, a bar with rate and ETA when it is.", "-p");
    }

    /** {@code --progress=MODE}. */
    static OptionSpec option() {
        return Specs.option("MODE", "Progress without -p, in one form: plain (qemu-img's lines), bar, or json "
                + "(one object per line on stdout: {\"phase\", \"done\", \"total\", \"percent\"}, for programs).",
                "--progress");
    }

    /** The mode a command's options ask for; {@code quiet} (-q) turns -p off, as in qemu-img. */
    static ProgressMode of(ParseResult args, CommandSpec spec, boolean quiet, boolean terminal) {
        String named = args.matchedOptionValue("--progress", null);
        if (named != null) {
            return switch (named.toLowerCase(Locale.ROOT)) {
                case "plain" -> PLAIN;
                case "bar" -> BAR;
                case "json" -> JSON;
                case "none", "off" -> NONE;
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "Invalid value for option '--progress': '" + named + "' (expected plain, bar, json or none)");
            };
        }
        if (!args.matchedOptionValue("-p", false) || quiet) {
            return NONE;
        }
        return terminal ? BAR : PLAIN;
    }

    /** Where progress goes: the command's stdout, or its stderr when {@code stdoutCarriesData}. */
    static PrintWriter writer(CommandSpec spec, boolean stdoutCarriesData) {
        return stdoutCarriesData ? spec.commandLine().getErr() : spec.commandLine().getOut();
    }

    /** Whether that stream is the process's terminal (never in-process). */
    static boolean terminal(boolean stdoutCarriesData) {
        return Main.usesSystemStreams() && Terminal.isTerminal(stdoutCarriesData ? 2 : 1);
    }
}
