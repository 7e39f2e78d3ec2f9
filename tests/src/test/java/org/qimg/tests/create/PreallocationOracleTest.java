package org.qimg.tests.create;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.SideBySide;

/**
 * qcow2 {@code preallocation=metadata|falloc|full} of qimg create and convert against qemu-img 7.2's: the same
 * messages, byte-identical image files of the same length and allocated blocks, and the same
 * {@code qemu-img map} and {@code check}. Also {@code -o help}, which lists qemu-img's options word for word.
 */
class PreallocationOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** "MODE SIZE [OPTIONS]". */
    @ParameterizedTest
    @ValueSource(strings = {"falloc 1M", "full 1M", "falloc 1000000", "full 100M", "falloc 5G", "metadata 5G",
        "falloc 3M cluster_size=4k", "full 3M extended_l2=on", "falloc 70M refcount_bits=64", "falloc 0",
        "falloc 9M compat=0.10", "full 2M lazy_refcounts=on"})
    void createMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("c-" + Integer.toHexString(spec.hashCode())));
        String opts = "preallocation=" + p[0] + (p.length > 2 ? "," + p[2] : "");
        s.same("create", "-f", "qcow2", "-o", opts, "p.qcow2", p[1]);
        // metadata: exact; a fully allocated data area: one extent-tree block either way (SideBySide.sameFile)
        s.identical("p.qcow2", p[0].equals("metadata") ? 0 : 8192);
        s.sameView("p.qcow2", "map", "--output=json");
        s.sameView("p.qcow2", "check");
    }

    /** "MODE [OPTIONS]": convert of data, zeros and holes into a preallocated image. */
    @ParameterizedTest
    @ValueSource(strings = {"falloc", "full", "falloc cluster_size=4k", "full extended_l2=on",
        "falloc cluster_size=2M"})
    void convertMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("v-" + Integer.toHexString(spec.hashCode())));
        s.qemuBoth("create", "-q", "-f", "qcow2", "src.qcow2", "5M");
        s.ioBoth("src.qcow2", "qcow2", "write -P 0x11 0 1M", "write -P 0x22 2M 64k", "write -z 3M 64k",
                "write -P 0x33 4M 100k");
        String opts = "preallocation=" + p[0] + (p.length > 1 ? "," + p[1] : "");
        s.same("convert", "-O", "qcow2", "-o", opts, "src.qcow2", "p.qcow2");
        s.identical("p.qcow2", 8192); // one extent-tree block either way (see SideBySide.sameFile)
        s.sameView("p.qcow2", "map", "--output=json");
        s.sameView("p.qcow2", "check");
    }

    /** "COMMAND FORMAT [FILE]": -o help as qemu-img prints it. */
    @ParameterizedTest
    @ValueSource(strings = {"create qcow2", "create qcow2 x.img", "create raw", "create raw x.img",
        "convert qcow2 src.raw x.img", "convert raw src.raw x.img", "create bochs", "convert bochs"})
    void helpMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("h-" + Integer.toHexString(spec.hashCode())));
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of(p[0],
                p[0].equals("create") ? "-f" : "-O", p[1], "-o", "help"));
        a.addAll(java.util.Arrays.asList(p).subList(2, p.length));
        s.same(a.toArray(String[]::new));
    }
}
