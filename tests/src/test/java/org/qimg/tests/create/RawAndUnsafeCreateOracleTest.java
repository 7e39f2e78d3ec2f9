package org.qimg.tests.create;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.SideBySide;

/**
 * {@code qimg create -f raw} and {@code create -u} against qemu-img 7.2, each in its own directory: the same exit
 * code, stdout and stderr, and the same file (length, allocated blocks, bytes, and qemu-img's map of it). A new
 * raw file has its first block written (QEMU's alignment probe), and preallocation allocates or writes the rest.
 */
class RawAndUnsafeCreateOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** "PREALLOCATION SIZE": raw files as qemu-img's file driver creates them. */
    @ParameterizedTest
    @ValueSource(strings = {"off 0", "off 512", "off 1000", "off 4096", "off 1M", "off 1G", "falloc 512",
        "falloc 1000", "falloc 1M", "falloc 33M", "full 1000", "full 4096", "full 3M", "none 5000", "none 64M"})
    void rawCreateMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("raw-" + p[0] + "-" + p[1]));
        if (p[0].equals("none")) {
            s.same("create", "-f", "raw", "r.img", p[1]);
        } else {
            s.same("create", "-f", "raw", "-o", "preallocation=" + p[0], "r.img", p[1]);
        }
        s.identical("r.img");
        s.sameView("r.img", "map", "--output=json", "-f", "raw");
    }

    /** "-o OPTIONS|SIZE": raw options and their refusals (some after the "Formatting" line). */
    @ParameterizedTest
    @ValueSource(strings = {"preallocation=metadata|1M", "preallocation=bogus|1M", "nocow=bad|1M",
        "nocow=on,preallocation=off,extent_size_hint=1M|1M", "extent_size_hint=1M,preallocation=full,nocow=off|1M",
        "extent_size_hint=5G|1M", "extent_size_hint=-1|1M", "size=2M|1M", "size=2M|", "foo=1|1M", "size=100P|"})
    void rawOptionsMatchQemuImg(String spec) {
        String[] p = spec.split("\\|", -1);
        SideBySide s = new SideBySide(dir.resolve("rawopt-" + Integer.toHexString(spec.hashCode())));
        if (p[1].isEmpty()) {
            s.same("create", "-f", "raw", "-o", p[0], "r.img");
        } else {
            s.same("create", "-f", "raw", "-o", p[0], "r.img", p[1]);
        }
        s.identical("r.img");
    }

    /** "ARGS": -u names a backing file without opening it; without -u a missing one is refused. */
    @ParameterizedTest
    @ValueSource(strings = {"-u -b /nonexistent -F raw a.qcow2 1M", "-u -b nosuch.qcow2 -F qcow2 a.qcow2 2M",
        "-u -b /nonexistent a.qcow2 1M", "-u -b /nonexistent -F raw a.qcow2", "-b /nonexistent -F raw a.qcow2 1M",
        "-u -o backing_file=/nonexistent,backing_fmt=qcow2 a.qcow2 1M", "-u a.qcow2 1M",
        "-u -b base.raw -F raw a.qcow2 3M"})
    void unsafeCreateMatchesQemuImg(String args) {
        SideBySide s = new SideBySide(dir.resolve("u-" + Integer.toHexString(args.hashCode())));
        s.qemuBoth("create", "-q", "-f", "raw", "base.raw", "1M");
        String[] a = ("create -f qcow2 " + args).split(" ");
        s.same(a);
        s.identical("a.qcow2");
    }
}
