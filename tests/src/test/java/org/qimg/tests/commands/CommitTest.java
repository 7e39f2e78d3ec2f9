package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
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

    /** Writes into the overlay top.qcow2 over a 16 MiB base: data, a zeroed range and a partial cluster. */
    static final String TOP_WRITES = ";io qcow2 top.qcow2 write -P 1 0 1M;io qcow2 top.qcow2 write -P 2 5M 64k"
            + ";io qcow2 top.qcow2 write -z 8M 128k;io qcow2 top.qcow2 write -P 3 12M 4k";

    static String over(String baseScript, String topOptions) {
        return baseScript + ";img create -q -f qcow2 " + topOptions + " -b base.qcow2 -F qcow2 top.qcow2"
                + TOP_WRITES;
    }

    /**
     * Images in the working directory itself: QEMU opens a data file named in a header relative to its working
     * directory. Bases and overlays that qimg used to refuse and qemu-img 7.2 commits: name, chain script, extra files (a
     * data file) that must be byte for byte qemu-img's too.
     */
    static Stream<Arguments> featureCases() {
        String data = "img create -q -f qcow2 base.qcow2 16M;io qcow2 base.qcow2 write -P 9 0 2M";
        String snaps = "img create -q -f qcow2 base.qcow2 16M;io qcow2 base.qcow2 write -P 9 0 2M"
                + ";io qcow2 base.qcow2 write -P 9 8M 1M;img snapshot -c s1 base.qcow2"
                + ";io qcow2 base.qcow2 write -P 8 1M 2M;img snapshot -c s2 base.qcow2";
        return Stream.of(
                Arguments.of("base-with-snapshots", over(snaps, ""), ""),
                Arguments.of("v2-base-with-snapshot", over("img create -q -f qcow2 -o compat=0.10 base.qcow2 16M"
                        + ";io qcow2 base.qcow2 write -P 9 0 2M;img snapshot -c s1 base.qcow2", ""), ""),
                Arguments.of("small-cluster-base-with-snapshot", "img create -q -f qcow2 -o cluster_size=4k"
                        + " base.qcow2 16000k;io qcow2 base.qcow2 write -P 9 0 2M;img snapshot -c s1"
                        + " base.qcow2;img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 20000k"
                        + ";io qcow2 top.qcow2 write -P 1 0 1M;io qcow2 top.qcow2 write -P 2 15990k 10k"
                        + ";io qcow2 top.qcow2 write -z 3M 1M", ""),
                Arguments.of("extended-l2-base", over("img create -q -f qcow2 -o extended_l2=on base.qcow2 16M"
                        + ";io qcow2 base.qcow2 write -P 9 0 2M;io qcow2 base.qcow2 write -P 7 12M 1k", ""), ""),
                Arguments.of("extended-l2-base-with-snapshot", over("img create -q -f qcow2 -o extended_l2=on,"
                        + "cluster_size=16k base.qcow2 16M;io qcow2 base.qcow2 write -P 9 0 2M"
                        + ";io qcow2 base.qcow2 write -P 7 12M 3k;img snapshot -c s1 base.qcow2",
                        "-o extended_l2=on"), ""),
                Arguments.of("extended-l2-top", over(data, "-o extended_l2=on"), ""),
                Arguments.of("data-file-base", over("img create -q -f qcow2 -o data_file=base.data base.qcow2 16M"
                        + ";io qcow2 base.qcow2 write -P 9 0 2M;io qcow2 base.qcow2 write -P 9 8M 1M", ""),
                        "base.data"),
                Arguments.of("raw-data-file-base", over("img create -q -f qcow2 -o data_file=base.data,"
                        + "data_file_raw=on base.qcow2 16M;io qcow2 base.qcow2 write -P 9 0 2M"
                        + ";io qcow2 base.qcow2 write -P 9 8M 1M", ""), "base.data"),
                Arguments.of("data-file-top", over(data, "-o data_file=top.data"), "top.data"),
                Arguments.of("data-file-extended-l2-top", over("img create -q -f qcow2 base.qcow2 100M"
                        + ";io qcow2 base.qcow2 write -P 9 0 2M", "-o data_file=top.data,extended_l2=on,"
                        + "cluster_size=16k"), "top.data"));
    }

    /**
     * qemu-img check passes on qimg's base and overlay, each reads as qemu-img's (compared as raw images
     * converted in each directory, so that data files resolve beside their image), every internal snapshot of
     * the base still reads as it did (as in qemu-img's base, which qemu-img keeps intact), and the emptied
     * overlay (and the named extra files) are byte for byte qemu-img's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("featureCases")
    void commitsWhereQemuImgDoes(String name, String script, String extra) {
        ChainTwin t = ChainTwin.of("commit-" + name, script);
        t.same("commit", "top.qcow2");
        Qemu qa = new Qemu(t.a);
        Qemu qb = new Qemu(t.b);
        for (String f : List.of("base.qcow2", "top.qcow2")) {
            ProcResult check = qb.imgResult("check", f);
            assertThat(check.exitCode()).as("qemu-img check of qimg's %s:\n%s", f, check.describe()).isZero();
            sameRaw(t, qa, qb, f, List.of());
        }
        List<String> snapshots = snapshotNames(qa, "base.qcow2");
        assertThat(snapshotNames(qb, "base.qcow2")).isEqualTo(snapshots);
        for (String s : snapshots) {
            sameRaw(t, qa, qb, "base.qcow2", List.of("-l", "snapshot.name=" + s));
        }
        t.sameBytes("top.qcow2");
        if (!extra.isEmpty()) {
            t.sameBytes(extra);
        }
    }

    private static void sameRaw(ChainTwin t, Qemu qa, Qemu qb, String f, List<String> opts) {
        List<String> args = new ArrayList<>(List.of("convert"));
        args.addAll(opts);
        args.addAll(List.of("-O", "raw", f, "read.raw"));
        qa.img(args.toArray(String[]::new));
        qb.img(args.toArray(String[]::new));
        try {
            assertThat(Files.mismatch(t.a.resolve("read.raw"), t.b.resolve("read.raw")))
                    .as("first differing guest byte of qimg's %s %s", f, opts).isEqualTo(-1L);
            Files.delete(t.a.resolve("read.raw"));
            Files.delete(t.b.resolve("read.raw"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> snapshotNames(Qemu q, String f) {
        List<String> names = new ArrayList<>();
        String[] lines = q.img("snapshot", "-l", f).split("\n");
        for (int i = 2; i < lines.length; i++) {
            String[] w = lines[i].trim().split(" +");
            if (w.length > 1) {
                names.add(w[1]);
            }
        }
        return names;
    }

    /** {@code -r} limits the copy as qemu-img's job does: 3 MiB of data at 1 MiB/s take about 3 s with both. */
    @Test
    void rateLimitSlowsTheCopyAsQemuImgs() {
        String script = "img create -q -f qcow2 sub/base.qcow2 16M;img create -q -f qcow2 -b base.qcow2 -F qcow2"
                + " sub/top.qcow2;io qcow2 sub/top.qcow2 write -P 1 0 3M";
        ChainTwin t = ChainTwin.of("commit-rate-applied", script);
        long q0 = System.nanoTime();
        ProcResult q = t.qemuImg("commit", "-r", "1M", "sub/top.qcow2");
        long q1 = System.nanoTime();
        ProcResult m = t.qimg("commit", "-r", "1M", "sub/top.qcow2");
        long m1 = System.nanoTime();
        assertThat(m.exitCode()).as(m.describe()).isEqualTo(q.exitCode()).isZero();
        assertThat((q1 - q0) / 1e9).as("qemu-img's time").isGreaterThan(1.8);
        assertThat((m1 - q1) / 1e9).as("qimg's time").isGreaterThan(1.8).isLessThan(2 * (q1 - q0) / 1e9 + 2);
        t.checkedAndEqual("sub/top.qcow2", "sub/base.qcow2");
    }
}
