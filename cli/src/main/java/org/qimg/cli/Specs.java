package org.qimg.cli;

import java.util.List;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The pieces qimg's commands are declared with, through picocli's programmatic model rather than its
 * annotations. Every run pays for building its command before anything else, and from annotations that was
 * most of qimg's start-up: the JDK generates a proxy class per annotation type and picocli scans every
 * field and method by reflection (measured alone: ~50 ms to build and parse compare, ~28 ms with these
 * builders; a whole 1 MiB {@code qimg compare}, 104 -> 75 ms). A command reads what was given from its
 * {@code ParseResult} ({@code matchedOptionValue}, {@code matchedPositionalValue}).
 */
final class Specs {
    private Specs() {
    }

    /**
     * The command {@code name} run by {@code command} (a {@code Callable} or {@code Runnable}), with the
     * {@code -h/--help} and {@code -V/--version} options every qimg command answers.
     */
    static CommandSpec command(String name, Object command, String... description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
        spec.usageMessage().description(description);
        spec.versionProvider(new VersionProvider());
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        return spec;
    }

    /**
     * A command whose arguments are read as qemu-img's getopt reads them, by the command itself: options and
     * operands in any order, options picocli does not know kept as arguments. Everything after the command's
     * name is one list ({@link #argsAfterCommand}), which {@code argsDescription} describes for {@code --help}.
     */
    static CommandSpec getoptCommand(String name, Object command, String summary, String... argsDescription) {
        CommandSpec spec = command(name, command, summary);
        spec.addPositional(PositionalParamSpec.builder().index("0..*").arity("0..*").paramLabel("ARGS")
                .hideParamSyntax(true).type(List.class).auxiliaryTypes(String.class).description(argsDescription)
                .build());
        spec.parser().unmatchedOptionsArePositionalParams(true);
        return spec;
    }

    /** The arguments given after the name of the command {@code spec} describes, as typed. */
    static List<String> argsAfterCommand(CommandSpec spec) {
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int at = original.indexOf(spec.name());
        return at < 0 ? original : original.subList(at + 1, original.size());
    }

    /** A switch: present or not. */
    static OptionSpec flag(String description, String... names) {
        return OptionSpec.builder(names).type(boolean.class).description(description).build();
    }

    /** An option with a text value named {@code label} in the usage help. */
    static OptionSpec option(String label, String description, String... names) {
        return typed(String.class, label, description, names).build();
    }

    /** An option that may be given many times; its values in order. */
    static OptionSpec repeated(Class<?> type, String label, String description, String... names) {
        return OptionSpec.builder(names).type(java.util.List.class).auxiliaryTypes(type).paramLabel(label)
                .description(description).build();
    }

    /** An option whose value picocli converts to {@code type} (an unconvertible value is a usage error). */
    static OptionSpec.Builder typed(Class<?> type, String label, String description, String... names) {
        return OptionSpec.builder(names).type(type).paramLabel(label).description(description);
    }

    /** The required positional parameter at {@code index}. */
    static PositionalParamSpec positional(int index, String label, Class<?> type, String... description) {
        return PositionalParamSpec.builder().index(String.valueOf(index)).arity("1").required(true)
                .paramLabel(label).type(type).description(description).build();
    }

    /** The positional parameter at {@code index}, which may be left out. */
    static PositionalParamSpec optionalPositional(int index, String label, Class<?> type, String... description) {
        return PositionalParamSpec.builder().index(String.valueOf(index)).arity("0..1").paramLabel(label).type(type)
                .description(description).build();
    }
}
