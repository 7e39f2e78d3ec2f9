package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg snapshot} on images with extended L2 entries (128-bit L2 entries with subcluster bitmaps), and
 * on images with persistent bitmaps or an external data file, against {@code qemu-img snapshot}: the same
 * sequence of commands is run by each tool on its copy of one image made by qemu-img/qemu-io. After every
 * step: the same output and exit code, qimg's image passes {@code qemu-img check}, reads as qemu-img's, and is
 * byte for byte qemu-img's (snapshot dates aside: the same clusters, refcounts, COPIED flags and bitmaps).
 * At the end, every snapshot of qimg's image converts ({@code convert -l}, by id and by name, by qimg) to the
 * bytes qemu-img's converts qemu-img's to, {@code info --output=json} is qemu-img's (dates aside), and
 * {@code qemu-img snapshot -a} of qimg's first snapshot restores the content the image had when it was taken.
 */
class SnapshotExtendedL2Test {
    /** What every case writes before its first snapshot: data, a partial subcluster, zeros, compressed data. */
    private static final String WRITES = "write -P 1 0 64k;write -P 2 80k 4k;write -z 200k 8k;"
            + "write -c -P 3 1M 64k;write -P 4 3M 2k;write -z 3M 512";
    /** The steps after the setup; "io ..." runs qemu-io on both copies. */
    private static final List<String> STEPS = List.of("-c s1 IMG", "io write -P 7 0 4k", "io write -P 8 2M 4k",
            "-c s2 IMG", "io write -P 9 1M 32k", "io discard 0 64k", "-c s3 IMG", "-l IMG", "-a s1 IMG",
            "-d s2 IMG", "-a 3 IMG", "-d nope IMG", "-a nope IMG", "-c s4 IMG", "-d s4 IMG", "-l IMG");

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** name, qemu-img create options (ending with the size), setup (";"-separated qemu-io commands). */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("64k", "-o extended_l2=on 4M", WRITES),
                Arguments.of("16k", "-o extended_l2=on,cluster_size=16k 4M", WRITES),
                Arguments.of("2M", "-o extended_l2=on,cluster_size=2M 4M", "write -P 1 0 64k;write -P 2 2M 4k;"
                        + "write -z 3M 64k"),
                Arguments.of("refcount-bits-64", "-o extended_l2=on,refcount_bits=64 4M", WRITES),
                Arguments.of("lazy-refcounts", "-o extended_l2=on,lazy_refcounts=on 4M", WRITES),
                Arguments.of("preallocated-metadata", "-o extended_l2=on,preallocation=metadata 4M",
                        "write -P 1 0 64k;write -z 1M 64k"),
                Arguments.of("empty", "-o extended_l2=on 4M", ""),
                Arguments.of("backing", "-o extended_l2=on -b BASE -F qcow2 4M", WRITES + ";write -z 2M 4k"),
                Arguments.of("bitmaps", "-o extended_l2=on 4M", "write -P 1 0 64k;BITMAP --add b0;"
                        + "BITMAP --add --disable b1;write -P 2 1M 64k"),
                Arguments.of("bitmaps-standard-l2", "4M", "write -P 1 0 64k;BITMAP --add --disable b1"),
                Arguments.of("data-file", "-o extended_l2=on,data_file=DATA 4M", "write -P 1 0 64k"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String create, String setup) throws IOException {
        Path[] before = new Path[1];
        Twin t = Twin.of("snapshot-l2-" + name, img -> {
            Qemu q = new Qemu(img.getParent());
            Path base = img.resolveSibling("base.qcow2");
            List<String> args = new ArrayList<>(List.of("create", "-q", "-f", "qcow2"));
            for (String w : create.split(" ")) {
                // named relatively, beside the image: both copies share the backing file or the data file
                args.add(w.replace("BASE", base.getFileName().toString()).replace("DATA", "data.raw"));
            }
            args.add(args.size() - 1, img.toString());
            if (create.contains("BASE")) {
                q.img("create", "-q", "-f", "qcow2", base.toString(), "4M");
                q.io(base, "qcow2", "write -P 5 0 4M");
            }
            q.img(args.toArray(new String[0]));
            for (String step : setup.isEmpty() ? new String[0] : setup.split(";")) {
                if (step.startsWith("BITMAP ")) {
                    List<String> b = new ArrayList<>(List.of("bitmap"));
                    String[] w = step.substring(7).split(" ");
                    b.addAll(List.of(w).subList(0, w.length - 1));
                    b.add(img.toString());
                    b.add(w[w.length - 1]);
                    q.img(b.toArray(new String[0]));
                } else {
                    q.io(img, "qcow2", step);
                }
            }
        });
        // info's actual-size is compared: both copies start with the same holes (qemu-io leaves some clusters
        // of zeros allocated that a sparse copy drops)
        Path original = t.a.resolveSibling("original.img");
        sparseCopy(t.a, original);
        sparseCopy(original, t.a);
        sparseCopy(original, t.b);
        for (String step : STEPS) {
            if (step.startsWith("io ")) {
                t.qemu.io(t.a, "qcow2", step.substring(3));
                t.qemu.io(t.b, "qcow2", step.substring(3));
            } else {
                if (step.startsWith("-c s1 ")) {
                    before[0] = t.b.resolveSibling("at-s1.raw");
                    t.qemu.img("convert", "-O", "raw", t.b.toString(), before[0].toString());
                }
                List<String> args = new ArrayList<>(List.of("snapshot"));
                args.addAll(List.of(step.split(" ")));
                t.same(args.toArray(new String[0]));
            }
            t.checkedAndEqual();
            t.sameBytesButSnapshotDates();
        }
        assertThat(infoJson(t, true)).isEqualTo(infoJson(t, false));
        sameSnapshotContents(t);
        if (!name.startsWith("bitmaps") && !name.equals("data-file")) {
            appliedByQemuImg(t, before[0]);
        }
    }

    /** {@code info --output=json} of one copy, by the tool that owns it, without dates and the file's name. */
    private static String infoJson(Twin t, boolean qemu) {
        ProcResult r = qemu ? t.qemuImg("info", "--output=json", "IMG") : t.qimg("info", "--output=json", "IMG");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return Twin.normal(r.stdout(), qemu ? t.a : t.b).replaceAll("\"date-(sec|nsec)\": \\d+", "\"date\"");
    }

    private static void sparseCopy(Path from, Path to) {
        try {
            Process p = new ProcessBuilder("cp", "--sparse=always", from.toString(), to.toString()).inheritIO().start();
            assertThat(p.waitFor()).isZero();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every snapshot, converted by qimg by id ({@code -l snapshot.id=N}) and by name (the short {@code -l NAME};
     * qemu-img 7.2 no longer has {@code -s}), is what qemu-img converts it to.
     */
    private static void sameSnapshotContents(Twin t) throws IOException {
        String list = t.qemu.img("snapshot", "-l", "-U", t.a.toString());
        for (String line : list.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length < 2 || !w[0].matches("\\d+")) {
                continue;
            }
            Path ref = t.a.resolveSibling("ref-" + w[0] + ".raw");
            Path byId = t.b.resolveSibling("qimg-l-" + w[0] + ".raw");
            Path byName = t.b.resolveSibling("qimg-s-" + w[0] + ".raw");
            t.qemu.img("convert", "-l", "snapshot.id=" + w[0], "-O", "raw", t.a.toString(), ref.toString());
            ProcResult l = Qimg.inProcess("convert", "-l", "snapshot.id=" + w[0], "-O", "raw", t.b.toString(),
                    byId.toString());
            assertThat(l.exitCode()).as(l.describe()).isZero();
            ProcResult s = Qimg.inProcess("convert", "-l", w[1], "-O", "raw", t.b.toString(), byName.toString());
            assertThat(s.exitCode()).as(s.describe()).isZero();
            assertThat(Digests.sha256(byId)).as("snapshot %s by id", w[0]).isEqualTo(Digests.sha256(ref));
            assertThat(Digests.sha256(byName)).as("snapshot %s by name", w[1]).isEqualTo(Digests.sha256(ref));
            for (Path p : List.of(ref, byId, byName)) {
                Files.delete(p);
            }
        }
    }

    /** qemu-img's apply of qimg's first snapshot gives the content the image had when qimg took it. */
    private static void appliedByQemuImg(Twin t, Path before) throws IOException {
        Path copy = t.b.resolveSibling("applied.qcow2");
        Files.copy(t.b, copy, StandardCopyOption.REPLACE_EXISTING);
        t.qemu.img("snapshot", "-a", "s1", copy.toString());
        ProcResult c = t.qemu.imgResult("check", copy.toString());
        assertThat(c.exitCode()).as(c.describe()).isZero();
        ProcResult cmp = t.qemu.imgResult("compare", "-F", "raw", copy.toString(), before.toString());
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }
}
