package org.qimg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class HelpTest {

    @Test
    void everyCommandAnswersHelpWithItsUsageAndExitZero() {
        for (String name : Main.commandLine().getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), name, "--help");
            assertThat(code).as(name + " --help exit code (stderr: %s)", err).isZero();
            assertThat(out.toString()).as(name + " --help").startsWith("Usage: qimg " + name);
        }
    }

    @Test
    void everyCommandAnswersVersion() {
        for (String name : Main.commandLine().getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue; // picocli's help command prints the usage for anything it is given
            }
            StringWriter out = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), name, "-V");
            assertThat(code).as(name + " -V exit code").isZero();
            assertThat(out.toString()).as(name + " -V").startsWith("qimg version ");
        }
    }

    @Test
    void aRunRegistersOnlyTheCommandItExecutes() {
        assertThat(Main.commandOf(new String[] {"--debug", "compare", "-s", "a", "b"})).isEqualTo("compare");
        assertThat(Main.commandOf(new String[] {"help", "convert"})).isNull();
        assertThat(Main.commandOf(new String[] {"frobnicate", "x"})).isNull();
        assertThat(Main.commandOf(new String[] {"--version"})).isNull();
        assertThat(Main.commandLine("compare").getSubcommands().keySet()).containsExactly("compare");
        assertThat(Main.commandLine().getSubcommands().keySet()).containsExactly("help", "info", "map", "convert",
                "create", "measure", "check", "compare", "checksum", "analyze", "resize", "snapshot", "dd", "amend",
                "bitmap", "rebase", "commit");
    }

    @Test
    void versionNamesTheProject() {
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--version");
        assertThat(code).isZero();
        assertThat(out.toString()).startsWith("qimg version ");
    }

    @Test
    void unknownCommandIsAUsageErrorWithExitOne() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "frobnicate");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("qimg: ");
    }
}
