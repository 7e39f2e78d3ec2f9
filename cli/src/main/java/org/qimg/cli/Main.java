package org.qimg.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/** Entry point: {@code qimg COMMAND [options]}, spelled as qemu-img spells it. */
public final class Main implements Runnable {
    private CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Not enough arguments");
    }

    private static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

    static {
        // picocli registers converters for the java.time and java.sql types by loading and initialising
        // those classes, ~7 ms of every start; no qimg option has such a type. (A user's setting wins.)
        if (System.getProperty(CONVERTER_EXCLUDES) == null) {
            System.setProperty(CONVERTER_EXCLUDES, "java\\.(sql|time)\\..*");
        }
    }

    /** The commands in the order {@code --help} lists them. */
    private static final List<String> COMMANDS = List.of("help", "info", "map", "convert", "create", "measure",
            "check", "compare", "checksum", "analyze",
            "resize", "snapshot", "dd", "amend", "bitmap", "rebase", "commit");

    /** The command {@code name}, declared as {@link Specs} describes. */
    private static CommandSpec newCommand(String name) {
        return switch (name) {
            case "info" -> InfoCommand.spec();
            case "map" -> MapCommand.spec();
            case "convert" -> ConvertCommand.spec();
            case "create" -> CreateCommand.spec();
            case "measure" -> MeasureCommand.spec();
            case "check" -> CheckCommand.spec();
            case "compare" -> CompareCommand.spec();
            case "checksum" -> ChecksumCommand.spec();
            case "analyze" -> AnalyzeCommand.spec();
            case "resize" -> ResizeCommand.spec();
            case "snapshot" -> SnapshotCommand.spec();
            case "dd" -> DdCommand.spec();
            case "amend" -> AmendCommand.spec();
            case "bitmap" -> BitmapCommand.spec();
            case "rebase" -> RebaseCommand.spec();
            case "commit" -> CommitCommand.spec();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Builds the command line with every command and the error handlers wired. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * Builds the command line with the error handlers wired; with {@code only} naming a command, just that
     * one is registered: one run only ever executes one command, and building the others would cost start-up.
     */
    static CommandLine commandLine(String only) {
        Main main = new Main();
        main.spec = Specs.command("qimg", main,
                        "Convert, compress and check virtual-machine disk images (qcow2, raw).")
                .addOption(OptionSpec.builder("--debug").type(boolean.class).scopeType(CommandLine.ScopeType.INHERIT)
                        .description("Print stack traces for errors.").build());
        CommandLine cl = new CommandLine(main.spec);
        for (String name : COMMANDS) {
            if (only != null && !only.equals(name)) {
                continue;
            }
            if (name.equals("help")) {
                // picocli's own command, declared by its annotations; like the others it answers -h
                cl.addSubcommand(name, new CommandLine.HelpCommand());
                cl.getSubcommands().get(name).getCommandSpec().mixinStandardHelpOptions(true);
            } else {
                cl.addSubcommand(name, newCommand(name));
            }
        }
        // as qemu-img's getopt: options may come between and after file names, a repeated option's last
        // value wins, and "-0" (a typo for -O) is an unknown option, not a file name
        cl.setOverwrittenOptionsAllowed(true);
        cl.setExecutionStrategy(Main::execute);
        ErrorHandler handler = new ErrorHandler();
        cl.setExecutionExceptionHandler(handler);
        cl.setParameterExceptionHandler(handler);
        return cl;
    }

    private static int execute(ParseResult parsed) {
        if (!parsed.originalArgs().contains("--")) {
            for (ParseResult p = parsed; p != null; p = p.subcommand()) {
                if (p.commandSpec().parser().unmatchedOptionsArePositionalParams()) {
                    continue; // commands that read their own options as qemu-img's getopt does (snapshot, dd)
                }
                for (PositionalParamSpec pos : p.matchedPositionals()) {
                    for (String v : pos.originalStringValues()) {
                        if (v.length() > 1 && v.startsWith("-")) {
                            throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(),
                                    "Unknown option: '" + v + "'");
                        }
                    }
                }
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** The command {@code args} run: the first argument that is not an option, if it names one. */
    static String commandOf(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return COMMANDS.contains(a) && !a.equals("help") ? a : null;
            }
        }
        return null;
    }

    /** Runs qimg in-process and returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine(commandOf(args));
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    private static volatile boolean systemStreams;

    /** True when running as the real program (stdout/stderr are the process's), false in-process. */
    static boolean usesSystemStreams() {
        return systemStreams;
    }

    public static void main(String[] args) {
        systemStreams = true;
        Warmup.start();
        int code = commandLine(commandOf(args)).execute(args);
        System.out.flush();
        System.exit(code);
    }
}
