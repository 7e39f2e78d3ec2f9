package org.qimg.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point: {@code qimg COMMAND [options]}, spelled as qemu-img spells it. */
@Command(name = "qimg", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Convert, compress and check virtual-machine disk images (qcow2, raw).",
        subcommands = {
                CommandLine.HelpCommand.class,
                InfoCommand.class,
                MapCommand.class,
                ConvertCommand.class,
                CreateCommand.class,
                MeasureCommand.class,
                CheckCommand.class,
                CompareCommand.class,
                ChecksumCommand.class,
                AnalyzeCommand.class,
        })
public final class Main implements Runnable {

    @Option(names = "--debug", description = "Print stack traces for errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean debug;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "Missing command (try 'qimg --help')");
    }

    /** Builds the command line with the error handlers wired; tests drive it with setOut/setErr. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // Every command answers -h/--help and -V/--version, whether or not its annotation asks for them.
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().mixinStandardHelpOptions(true);
        }
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(ErrorHandler::onParameterError);
        return cl;
    }

    /** Runs qimg in-process and returns its exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
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
        int code = commandLine().execute(args);
        System.out.flush();
        System.exit(code);
    }
}
