package org.qimg.tests.commands;

import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Qemu;

/**
 * {@code qimg commit} against {@code qemu-img commit} on two copies of the same chain base &lt;- mid &lt;- top:
 * same stdout, stderr and exit code; afterwards every image of qimg's chain passes {@code qemu-img check} and
 * reads as qemu-img's ({@code qemu-img compare}); an emptied qcow2 v3 overlay is byte for byte qemu-img's.
 */
class CommitTest {
    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** A chain of qcow2 images with data, zero clusters and a tail past the base's end in the overlays. */
    static String chain(String baseOptions, String baseSize, String midOptions, String topOptions, String topSize,
                        String tailAt) {
        return "img create -q -f qcow2 " + baseOptions + " sub/base.qcow2 " + baseSize
                + ";io qcow2 sub/base.qcow2 write -P 7 0 10M;io qcow2 sub/base.qcow2 write -P 8 30M 1M"
                + ";img create -q -f qcow2 " + midOptions + " -b base.qcow2 -F qcow2 sub/mid.qcow2"
                + ";io qcow2 sub/mid.qcow2 write -P 3 2M 2M;io qcow2 sub/mid.qcow2 write -z 8M 1M"
                + ";img create -q -f qcow2 " + topOptions + " -b mid.qcow2 -F qcow2 sub/top.qcow2 " + topSize
                + ";io qcow2 sub/top.qcow2 write -P 1 0 1M;io qcow2 sub/top.qcow2 write -P 2 20M 3M"
                + ";io qcow2 sub/top.qcow2 write -z 30M 64k;io qcow2 sub/top.qcow2 write -P 5 " + tailAt + " 4k";
    }

    static final String CHAIN = chain("", "64M", "", "", "", "50M");

    /** name, chain script, commit arguments, whether the overlay top.qcow2 is byte for byte qemu-img's. */
    static Stream<Arguments> cases() {
        String grow = chain("", "64M", "", "", "100M", "90M");
        String v2 = chain("-o compat=0.10", "64M", "-o compat=0.10", "-o compat=0.10", "", "50M");
        String sizes = chain("-o cluster_size=512", "64M", "-o cluster_size=2M", "-o cluster_size=4k", "", "50M");
        return Stream.of(
                c("default", CHAIN, "sub/top.qcow2", true),
                c("quiet", CHAIN, "-q sub/top.qcow2", true),
                c("drop", CHAIN, "-d sub/top.qcow2", true),
                c("base", CHAIN, "-b base.qcow2 sub/top.qcow2", true),
                c("base-by-path", CHAIN, "-b sub/base.qcow2 sub/top.qcow2", true),
                c("base-is-backing", CHAIN, "-b mid.qcow2 sub/top.qcow2", true),
                c("grow-base", grow, "sub/top.qcow2", true),
                c("grow-base-through-mid", grow, "-b base.qcow2 sub/top.qcow2", true),
                c("v2", v2, "sub/top.qcow2", false),
                c("cluster-sizes", sizes, "-b base.qcow2 sub/top.qcow2", true),
                c("cluster-sizes-default", sizes, "sub/top.qcow2", true),
                c("rate", CHAIN, "-r 1G sub/top.qcow2", true),
                c("top-with-snapshot", CHAIN + ";img snapshot -c s1 sub/top.qcow2", "sub/top.qcow2", false),
                c("top-with-bitmap", CHAIN + ";img bitmap --add sub/top.qcow2 b0", "sub/top.qcow2", false),
                c("v2-top-with-snapshot", v2 + ";img snapshot -c s1 sub/top.qcow2", "sub/top.qcow2", false),
                c("base-not-in-chain", CHAIN, "-b nowhere.qcow2 sub/top.qcow2", true),
                c("no-backing", CHAIN, "sub/base.qcow2", true),
                c("missing-image", CHAIN, "sub/nowhere.qcow2", true),
                c("bad-cache", CHAIN, "-t bogus sub/top.qcow2", true),
                c("bad-rate", CHAIN, "-r bogus sub/top.qcow2", true),
                c("rate-out-of-range", CHAIN, "-r 99999999999999999999 sub/top.qcow2", true),
                c("no-file", CHAIN, "-d", true),
                c("two-files", CHAIN, "sub/top.qcow2 sub/mid.qcow2", true),
                c("unknown-option", CHAIN, "-x sub/top.qcow2", true),
                c("missing-argument", CHAIN, "sub/top.qcow2 -b", true));
    }

    static Stream<Arguments> rawCases() {
        String raw = "img create -q -f raw sub/base.raw 64M;io raw sub/base.raw write -P 7 0 10M"
                + ";img create -q -f qcow2 -b base.raw -F raw sub/top.qcow2;io qcow2 sub/top.qcow2 write -P 1 1M 2M"
                + ";io qcow2 sub/top.qcow2 write -z 5M 1M";
        return Stream.of(c("raw-base", raw, "sub/top.qcow2", true), c("raw-base-drop", raw, "-d sub/top.qcow2", true));
    }

    private static Arguments c(String name, String script, String args, boolean exact) {
        return Arguments.of(name, script, args, exact);
    }

    @ParameterizedTest(name = "{0}: commit {2}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String script, String args, boolean exact) {
        ChainTwin t = ChainTwin.of("commit-" + name, script);
        t.same(ChainTwin.words("commit " + args));
        t.checkedAndEqual("sub/top.qcow2", "sub/mid.qcow2", "sub/base.qcow2");
        if (exact) {
            t.sameBytes("sub/top.qcow2");
        }
    }

    @ParameterizedTest(name = "{0}: commit {2}")
    @MethodSource("rawCases")
    void rawBase(String name, String script, String args, boolean exact) {
        ChainTwin t = ChainTwin.of("commit-" + name, script);
        t.same(ChainTwin.words("commit " + args));
        t.checkedAndEqual("sub/top.qcow2", "sub/base.raw");
        if (exact) {
            t.sameBytes("sub/top.qcow2");
        }
    }
}
