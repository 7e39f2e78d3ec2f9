package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * Safe-mode {@code qimg rebase} into overlays with internal snapshots, extended L2 entries (subclusters) and an
 * external data file, against {@code qemu-img rebase} on a copy of the same files (built once by qemu-img/qemu-io
 * and copied, so that snapshot dates match): same output and exit code; qimg's overlay passes
 * {@code qemu-img check}, reads as qemu-img's (the raw conversions, each made in its own directory, are equal),
 * every snapshot reads as in qemu-img's overlay ({@code convert -l}) and applies the same way
 * ({@code snapshot -a}); overlay and data file are byte for byte qemu-img's (refcounts, COPIED flags and
 * subcluster bitmaps included).
 *
 * <p>The files lie at the top of each directory: qemu-img opens a relative data file name against its working
 * directory, qimg beside the image; there both agree.
 */
class RebaseOverlayFeaturesTest {
    /** b.qcow2 and b2.qcow2 differ in whole clusters, single sectors and parts of subclusters. */
    static final String BACKINGS = backings("64M");
    /** As {@link #BACKINGS}, the old backing file ending inside a 64 KiB cluster (not on a 2 KiB subcluster). */
    static final String SHORT_BACKINGS = backings("40901k");

    static String backings(String oldSize) {
        return "img create -q -f qcow2 b.qcow2 " + oldSize
                + ";io qcow2 b.qcow2 write -P 7 0 10M;io qcow2 b.qcow2 write -P 8 30M 1M"
                + ";img create -q -f qcow2 b2.qcow2 64M"
                + ";io qcow2 b2.qcow2 write -P 9 5M 10M;io qcow2 b2.qcow2 write -P 7 16M 512"
                + ";io qcow2 b2.qcow2 write -P 3 31M 4k;io qcow2 b2.qcow2 write -P 3 33M 1k"
                + ";io qcow2 b2.qcow2 write -P 3 40000k 3M;io qcow2 b2.qcow2 write -P 3 50M 1k";
    }

    static String overlay(String options) {
        return ";img create -q -f qcow2 " + options + " -b b.qcow2 -F qcow2 o.qcow2 64M";
    }

    /** Overlay data in whole clusters, parts of clusters and parts of subclusters. */
    static String writes(int pattern) {
        return ";io qcow2 o.qcow2 write -P " + pattern + " 0 1M;io qcow2 o.qcow2 write -P " + pattern + " 5M 4k"
                + ";io qcow2 o.qcow2 write -P " + pattern + " 16M 2k;io qcow2 o.qcow2 write -P " + pattern
                + " 31M 4k;io qcow2 o.qcow2 write -P " + pattern + " 40M 2k";
    }

    static String snapshots() {
        return writes(1) + ";img snapshot -c s1 o.qcow2;io qcow2 o.qcow2 write -P 5 5M 64k"
                + ";io qcow2 o.qcow2 write -P 5 20M 64k;img snapshot -c s2 o.qcow2;io qcow2 o.qcow2 write -P 6 6M 64k";
    }

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    static Stream<Arguments> cases() {
        String rebase = "rebase -b b2.qcow2 -F qcow2 o.qcow2";
        String flatten = "rebase -b '' o.qcow2";
        return Stream.of(
                c("snapshots", BACKINGS + overlay("") + snapshots(), rebase),
                c("snapshots-progress", BACKINGS + overlay("") + snapshots(), "rebase -p -b b2.qcow2 -F qcow2 o.qcow2"),
                c("snapshots-old-backing-shorter", SHORT_BACKINGS + overlay("") + snapshots(), rebase),
                c("snapshots-v2", SHORT_BACKINGS + overlay("-o compat=0.10") + snapshots(), rebase),
                c("snapshots-flatten", BACKINGS + overlay("") + snapshots(), flatten),
                c("snapshots-refcount-bits-8", BACKINGS + overlay("-o refcount_bits=8") + snapshots(), rebase),
                c("extended-l2", BACKINGS + overlay("-o extended_l2=on") + writes(2), rebase),
                c("extended-l2-old-backing-shorter", SHORT_BACKINGS + overlay("-o extended_l2=on") + writes(2),
                        rebase),
                c("extended-l2-16k", SHORT_BACKINGS + overlay("-o extended_l2=on,cluster_size=16k") + writes(2),
                        rebase),
                c("extended-l2-2m", BACKINGS + overlay("-o extended_l2=on,cluster_size=2M") + writes(2), rebase),
                c("extended-l2-snapshots", SHORT_BACKINGS + overlay("-o extended_l2=on") + snapshots(), rebase),
                c("extended-l2-flatten", BACKINGS + overlay("-o extended_l2=on") + snapshots(), flatten),
                c("data-file", BACKINGS + overlay("-o data_file=o.data") + writes(2), rebase),
                c("data-file-old-backing-shorter", SHORT_BACKINGS + overlay("-o data_file=o.data") + writes(2),
                        rebase),
                c("data-file-extended-l2", SHORT_BACKINGS + overlay("-o data_file=o.data,extended_l2=on")
                        + writes(2), rebase),
                c("data-file-flatten", BACKINGS + overlay("-o data_file=o.data") + writes(2), flatten),
                // many refcount blocks and a refcount table that grows: placed unlike qemu-img (as without snapshots)
                c("snapshots-512-byte-clusters", BACKINGS + overlay("-o cluster_size=512") + snapshots(), rebase));
    }

    private static Arguments c(String name, String script, String args) {
        return Arguments.of(name, script, args);
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String script, String args) {
        ChainTwin t = twin("rebase-feature-" + name, script);
        List<String> snaps = snapshots(t.a);
        t.same(ChainTwin.words(args));
        readsAsQemuImgs(t, snaps);
        if (name.contains("512-byte")) {
            return;
        }
        t.sameBytes("o.qcow2");
        if (Files.exists(t.a.resolve("o.data"))) {
            t.sameBytes("o.data");
        }
    }

    /**
     * {@code -c} (8.2's option; 7.2 has none): the differing clusters are written compressed, also where a
     * snapshot shares the L2 table or the image has subclusters; the content is qemu-img's uncompressed
     * rebase's and the snapshots read as in qemu-img's overlay.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("compressedCases")
    void compressed(String name, String script) {
        ChainTwin t = twin("rebase-feature-c-" + name, script);
        List<String> snaps = snapshots(t.a);
        t.qemuImg("rebase", "-b", "b2.qcow2", "-F", "qcow2", "o.qcow2").requireSuccess();
        ProcResult m = t.qimg("rebase", "-c", "-b", "b2.qcow2", "-F", "qcow2", "o.qcow2");
        assertThat(m.exitCode()).as(m.describe()).isZero();
        readsAsQemuImgs(t, snaps);
        ProcResult check = new Qemu(t.b).imgResult("check", "o.qcow2");
        assertThat(check.stdout()).doesNotContain(" 0.00% compressed clusters");
    }

    static Stream<Arguments> compressedCases() {
        return Stream.of(Arguments.of("snapshots", SHORT_BACKINGS + overlay("") + snapshots()),
                Arguments.of("extended-l2", SHORT_BACKINGS + overlay("-o extended_l2=on") + writes(2)),
                Arguments.of("extended-l2-snapshots", BACKINGS + overlay("-o extended_l2=on") + snapshots()));
    }

    /**
     * {@code -c} into an image with an external data file: QEMU cannot write compressed clusters there
     * ({@code -ENOTSUP}); qimg fails with QEMU's message, the backing file unchanged and the content intact.
     */
    @Test
    void compressedIntoDataFileFails() throws IOException {
        ChainTwin t = twin("rebase-feature-c-data-file", BACKINGS + overlay("-o data_file=o.data") + writes(2));
        Qemu qb = new Qemu(t.b);
        qb.img("convert", "-O", "raw", "o.qcow2", "before.raw");
        ProcResult m = t.qimg("rebase", "-c", "-b", "b2.qcow2", "-F", "qcow2", "o.qcow2");
        assertThat(m.exitCode()).as(m.describe()).isEqualTo(1);
        assertThat(m.stderr()).isEqualTo("qimg: Error while writing to COW image: Operation not supported\n");
        assertThat(qb.imgResult("check", "o.qcow2").exitCode()).isZero();
        assertThat(qb.img("info", "o.qcow2")).contains("backing file: b.qcow2\n");
        qb.img("convert", "-O", "raw", "o.qcow2", "after.raw");
        assertThat(Files.mismatch(t.b.resolve("before.raw"), t.b.resolve("after.raw"))).isEqualTo(-1L);
    }

    /** Built once by qemu-img in {@code a}, copied to {@code b}: snapshot dates are then the same. */
    private static ChainTwin twin(String name, String script) {
        ChainTwin t = ChainTwin.of(name, "img --version");
        Qemu q = new Qemu(t.a);
        for (String step : script.split(";")) {
            String[] w = ChainTwin.words(step.trim());
            if (w[0].equals("img")) {
                q.img(java.util.Arrays.copyOfRange(w, 1, w.length));
            } else {
                q.io(t.a.resolve(w[2]), w[1], String.join(" ", java.util.Arrays.copyOfRange(w, 3, w.length)));
            }
        }
        try (Stream<Path> files = Files.list(t.a)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    copy(f, t.b.resolve(f.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return t;
    }

    private static List<String> snapshots(Path dir) {
        List<String> names = new ArrayList<>();
        String[] lines = new Qemu(dir).img("snapshot", "-l", "o.qcow2").split("\n");
        for (int i = 2; i < lines.length; i++) {
            names.add(lines[i].trim().split(" +")[1]);
        }
        return names;
    }

    /**
     * qimg's overlay passes qemu-img check, reads as qemu-img's, and so does each of {@code snaps}, read in place
     * and applied to a copy.
     */
    private static void readsAsQemuImgs(ChainTwin t, List<String> snaps) {
        Qemu qa = new Qemu(t.a);
        Qemu qb = new Qemu(t.b);
        ProcResult check = qb.imgResult("check", "o.qcow2");
        assertThat(check.exitCode()).as("qemu-img check of qimg's overlay:\n%s", check.describe()).isZero();
        sameRaw(t, qa, qb, "o.qcow2", "o.raw");
        assertThat(qb.img("info", "o.qcow2").lines().filter(l -> l.startsWith("backing file")).toList())
                .isEqualTo(qa.img("info", "o.qcow2").lines().filter(l -> l.startsWith("backing file")).toList());
        for (String s : snaps) {
            for (Qemu q : List.of(qa, qb)) {
                q.img("convert", "-O", "raw", "-l", "snapshot.name=" + s, "o.qcow2", "snap-" + s + ".raw");
                copy(q.workDir().resolve("o.qcow2"), q.workDir().resolve("applied.qcow2"));
                q.img("snapshot", "-a", s, "applied.qcow2");
            }
            assertThat(mismatch(t, "snap-" + s + ".raw")).as("snapshot %s of qimg's overlay", s).isEqualTo(-1L);
            assertThat(qb.imgResult("check", "applied.qcow2").exitCode()).isZero();
            sameRaw(t, qa, qb, "applied.qcow2", "applied.raw");
        }
    }

    private static void sameRaw(ChainTwin t, Qemu qa, Qemu qb, String image, String raw) {
        qa.img("convert", "-O", "raw", image, raw);
        qb.img("convert", "-O", "raw", image, raw);
        assertThat(mismatch(t, raw)).as("first differing byte of %s (qimg's vs qemu-img's)", image).isEqualTo(-1L);
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long mismatch(ChainTwin t, String file) {
        try {
            return Files.mismatch(t.a.resolve(file), t.b.resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
