package org.qimg.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point: {@code qimg COMMAND [options]}, spelled as qemu-img spells it. */
@Command(name = "qimg", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Convert, compress and check virtual-machine disk images (qcow2, raw).")
public final class Main implements Runnable {

    @Option(names = "--debug", description = "Print stack traces for errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean debug;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "Missing command (try 'qimg --help')");
    }

    /** The commands in the order {@code --help} lists them. */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("help", CommandLine.HelpCommand::new);
        COMMANDS.put("info", InfoCommand::new);
        COMMANDS.put("map", MapCommand::new);
        COMMANDS.put("convert", ConvertCommand::new);
        COMMANDS.put("create", CreateCommand::new);
        COMMANDS.put("measure", MeasureCommand::new);
        COMMANDS.put("check", CheckCommand::new);
        COMMANDS.put("compare", CompareCommand::new);
        COMMANDS.put("checksum", ChecksumCommand::new);
        COMMANDS.put("analyze", AnalyzeCommand::new);
    }

    /** Builds the command line with every command and the error handlers wired. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * Builds the command line with the error handlers wired; with {@code only} naming a command, just that
     * one is registered. picocli reads each command's annotations when it is registered, which is most of
     * qimg's start-up, and one run only ever executes one command.
     */
    static CommandLine commandLine(String only) {
        CommandLine cl = new CommandLine(new Main());
        COMMANDS.forEach((name, command) -> {
            if (only == null || only.equals(name)) {
                cl.addSubcommand(name, command.get());
            }
        });
        // Every command answers -h/--help and -V/--version, whether or not its annotation asks for them.
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().mixinStandardHelpOptions(true);
        }
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(ErrorHandler::onParameterError);
        return cl;
    }

    /** The command {@code args} run: the first argument that is not an option, if it names one. */
    static String commandOf(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return COMMANDS.containsKey(a) && !a.equals("help") ? a : null;
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
