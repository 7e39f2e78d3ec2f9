package org.qimg.tests.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.SideBySide;

/**
 * File names with a colon, as QEMU reads them (iotest 126's subject, in every command): a colon before any slash
 * makes the name a protocol ({@code a:b.qcow2} is "Unknown protocol 'a'"), {@code ./a:b.qcow2} is a file, and
 * {@code file:a:b.qcow2} names the file {@code ./a:b.qcow2}. Backing file names follow the same rule: one with a
 * protocol is not combined with the overlay's directory. qemu-img 7.2 and qimg run each command in twin
 * directories holding {@code b:ase.qcow2} (1 MiB qcow2), {@code plain.qcow2} and {@code r:aw.img} (1 MiB raw);
 * stdout, stderr and the exit code must be equal, and so must the files left behind.
 */
class ColonNamesOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    private static SideBySide prepared(String command) {
        SideBySide s = new SideBySide(dir.resolve(Integer.toHexString(command.hashCode())));
        s.qemuBoth("create", "-q", "-f", "qcow2", "./b:ase.qcow2", "1M");
        s.qemuBoth("create", "-q", "-f", "qcow2", "plain.qcow2", "1M");
        s.qemuBoth("create", "-q", "-f", "raw", "./r:aw.img", "1M");
        return s;
    }

    /** Commands that read an image by such a name ("|" separates arguments). */
    @ParameterizedTest
    @ValueSource(strings = {"info|b:ase.qcow2", "info|file:b:ase.qcow2", "info|file:./b:ase.qcow2",
        "info|./b:ase.qcow2", "info|--output=json|file:b:ase.qcow2", "info|-f|qcow2|file:b:ase.qcow2",
        "info|file:", "info|file:nope:x", "info|nope:x", "info|tar:x", "check|file:b:ase.qcow2", "check|b:ase.qcow2",
        "check|file:nope:x", "map|file:b:ase.qcow2", "map|--output=json|file:b:ase.qcow2", "map|b:ase.qcow2",
        "measure|-O|qcow2|file:b:ase.qcow2", "measure|-O|qcow2|b:ase.qcow2", "compare|file:b:ase.qcow2|plain.qcow2",
        "compare|b:ase.qcow2|plain.qcow2", "compare|plain.qcow2|b:ase.qcow2", "snapshot|-l|b:ase.qcow2",
        "snapshot|-l|file:b:ase.qcow2", "dd|if=b:ase.qcow2|of=out.raw", "commit|b:ase.qcow2",
        "commit|file:b:ase.qcow2", "bitmap|--add|b:ase.qcow2|bm", "amend|-o|compat=0.10|b:ase.qcow2",
        "resize|b:ase.qcow2|2M", "rebase|-b|b:ase.qcow2|-F|qcow2|plain.qcow2"})
    void readingByNameMatchesQemuImg(String command) {
        SideBySide s = prepared(command);
        s.same(command.split("\\|"));
        s.identical("b:ase.qcow2");
        s.identical("plain.qcow2");
        s.identical("out.raw");
    }

    /** Commands that write through or create such a name; the files they leave must match. */
    @ParameterizedTest
    @ValueSource(strings = {"convert|-O|raw|file:b:ase.qcow2|file:o:ut.raw", "convert|-O|raw|file:b:ase.qcow2|o:ut.raw",
        "convert|-O|qcow2|plain.qcow2|file:o:ut.raw", "convert|-n|-O|raw|plain.qcow2|file:r:aw.img",
        "convert|-n|-O|raw|plain.qcow2|r:aw.img", "create|-f|qcow2|file:o:ut.raw|1M", "create|-f|qcow2|o:ut.raw|1M",
        "create|-f|raw|file:o:ut.raw|1M", "dd|if=file:b:ase.qcow2|of=file:o:ut.raw", "dd|if=plain.qcow2|of=o:ut.raw",
        "resize|file:b:ase.qcow2|2M", "resize|-f|raw|file:r:aw.img|2M", "snapshot|-c|s|file:r:aw.img",
        "bitmap|--add|file:b:ase.qcow2|bm", "rebase|-u|-b|plain.qcow2|-F|qcow2|file:b:ase.qcow2",
        "rebase|-u|-b|file:b:ase.qcow2|-F|qcow2|plain.qcow2", "rebase|-b|file:b:ase.qcow2|-F|qcow2|plain.qcow2"})
    void writingByNameMatchesQemuImg(String command) {
        SideBySide s = prepared(command);
        s.same(command.split("\\|"));
        s.sameFile("o:ut.raw");
        s.sameFile("b:ase.qcow2");
        s.sameView("./b:ase.qcow2", "info");
        s.sameView("plain.qcow2", "info");
        // (its contents: a convert -n may leave other blocks allocated, as qimg and qemu-img write zeros differently)
        assertThat(Digests.md5(s.qimgDir().resolve("r:aw.img"))).isEqualTo(Digests.md5(s.qemuDir().resolve("r:aw.img")));
    }

    /** Backing files named with colons: created, then read through the overlay (info shows the actual path). */
    @ParameterizedTest
    @ValueSource(strings = {"-b|./b:ase.qcow2|-F|qcow2|top.qcow2", "-b|file:b:ase.qcow2|-F|qcow2|top.qcow2",
        "-b|b:ase.qcow2|-F|qcow2|top.qcow2", "-b|b:ase.qcow2|-F|qcow2|top.qcow2|1M",
        "-u|-b|b:ase.qcow2|-F|qcow2|top.qcow2|1M", "-u|-b|file:nope:x|-F|qcow2|top.qcow2|1M",
        "-b|plain.qcow2|-F|qcow2|file:t:op.qcow2", "-b|b:ase.qcow2|-F|qcow2|file:t:op.qcow2",
        "-b|file:nope:x|-F|qcow2|top.qcow2"})
    void backingNamesMatchQemuImg(String args) {
        SideBySide s = prepared(args);
        s.same(("create|-f|qcow2|" + args).split("\\|"));
        for (String top : new String[] {"top.qcow2", "file:t:op.qcow2"}) {
            s.same("info", top);
            s.same("info", "--backing-chain", top);
            s.same("map", top);
            s.same("info", "--output=json", top);
        }
        s.sameFile("top.qcow2");
        s.sameFile("t:op.qcow2");
    }
}
