package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.qimg.cli.Main;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Help, man pages and completion cover every command, option and positional parameter: walked from the same
 * picocli {@link CommandSpec}s qimg parses with, so a new option without a description, or missing from the
 * generated man page or completion script, fails here. The man pages and the completion script are the ones
 * the cli build generated ({@code cli/target/generated-docs}), the files the install archive ships.
 */
class HelpAndDocsTest {
    private static final Path DOCS = Repo.root().resolve("cli/target/generated-docs");

    private static Map<String, CommandLine> commands() {
        Map<String, CommandLine> all = new java.util.LinkedHashMap<>(Main.commandLine().getSubcommands());
        all.remove("help"); // picocli's own
        return all;
    }

    @Test
    void everyOptionAndParameterIsDescribedInHelp() {
        assertThat(commands()).hasSizeGreaterThanOrEqualTo(9);
        for (var e : commands().entrySet()) {
            CommandSpec spec = e.getValue().getCommandSpec();
            ProcResult help = Qimg.inProcess(e.getKey(), "--help");
            assertThat(help.exitCode()).isZero();
            String text = help.stdout();
            assertThat(spec.usageMessage().description()).as(e.getKey() + " description").isNotEmpty();
            for (OptionSpec o : spec.options()) {
                assertThat(String.join(" ", o.description())).as(e.getKey() + " " + o.longestName()).isNotBlank();
                assertThat(text).as(e.getKey() + " --help names " + o.longestName()).contains(o.longestName());
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                assertThat(String.join(" ", p.description())).as(e.getKey() + " " + p.paramLabel()).isNotBlank();
                assertThat(text).as(e.getKey() + " --help describes " + p.paramLabel())
                        .containsPattern("(?m)^ +\\[?" + java.util.regex.Pattern.quote(p.paramLabel()) + "]? +\\S");
            }
        }
    }

    @Test
    void usageLinesAreRight() {
        String convert = Qimg.inProcess("convert", "--help").stdout();
        assertThat(convert).contains(" SRC... DST\n").doesNotContain("DST SRC").doesNotContain("DST...");
        String top = Qimg.inProcess("--help").stdout();
        // each command's summary on the top-level list is a whole sentence
        for (var e : commands().entrySet()) {
            String first = e.getValue().getCommandSpec().usageMessage().description()[0];
            assertThat(first).as(e.getKey()).endsWith(".");
            assertThat(top.replaceAll("\\s+", " ")).contains(e.getKey() + " " + first);
        }
    }

    @Test
    void noArgumentsPrintsTheHintOnce() {
        ProcResult r = Qimg.inProcess();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("qimg: Not enough arguments\nTry 'qimg --help' for more information.\n");
    }

    @Test
    void mistypedCommandsAndOptionsGetSuggestions() {
        ProcResult cmd = Qimg.inProcess("conver", "a", "b");
        assertThat(cmd.exitCode()).isEqualTo(1);
        assertThat(cmd.stderr()).startsWith("qimg: Command not found: conver\n").contains("Did you mean")
                .contains("convert");
        ProcResult opt = Qimg.inProcess("convert", "--verfy", "a", "b");
        assertThat(opt.exitCode()).isEqualTo(1);
        assertThat(opt.stderr()).startsWith("qimg: Unknown option: '--verfy'\n").contains("--verify");
        ProcResult typo = Qimg.inProcess("convert", "-0", "qcow2", "a", "b");
        assertThat(typo.exitCode()).isEqualTo(1);
        assertThat(typo.stderr()).as("-0 is a typo for -O, not a file name").startsWith("qimg: Unknown option: '-0'");
    }

    @Test
    void manPagesAreGeneratedForEveryCommandAndNameEveryOption() throws IOException {
        Path man = DOCS.resolve("man");
        assertThat(man.resolve("qimg.1")).isRegularFile();
        for (var e : commands().entrySet()) {
            Path page = man.resolve("qimg-" + e.getKey() + ".1");
            assertThat(page).isRegularFile();
            String troff = Files.readString(page).replace("\\-", "-").replace("\\fB", "").replace("\\fP", "");
            assertThat(troff).as(page.toString()).startsWith("'\\\" t").contains(".TH \"QIMG-" + e.getKey()
                    .toUpperCase(java.util.Locale.ROOT) + "\"");
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                assertThat(troff).as(page + " names " + o.longestName()).contains(o.longestName());
            }
        }
    }

    @Test
    void completionIsGeneratedForEveryCommandAndOption() throws IOException {
        String bash = Files.readString(DOCS.resolve("completion/qimg"));
        assertThat(bash).contains("complete -F _complete_qimg");
        assertThat(Files.readString(DOCS.resolve("completion/qimg.zsh"))).isEqualTo(bash)
                .contains("bashcompinit"); // zsh loads the same script through bashcompinit
        for (var e : commands().entrySet()) {
            assertThat(bash).as("completion of the command " + e.getKey()).contains(e.getKey());
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                for (String name : o.names()) {
                    assertThat(bash).as(e.getKey() + " " + name)
                            .containsPattern("[\" ]" + java.util.regex.Pattern.quote(name) + "[\" ]");
                }
            }
        }
    }
}
