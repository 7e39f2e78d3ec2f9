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
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.Scratch;

/**
 * {@code qimg bitmap} and {@code convert --bitmaps} against qemu-img 7.2. A sequence of steps is run by each
 * tool on its copy of the same image (qemu-io writes, which the enabled bitmaps record, go to both copies);
 * after every step the messages (QEMU's made-up node names masked) and exit codes are the same, qimg's image
 * passes {@code qemu-img check} (and qimg's check says the same), {@code qemu-img info} (text and JSON, bitmaps included) is the same, and the
 * two files are byte for byte the same: the same bitmap data, tables and directory in the same clusters,
 * which also proves the bitmaps' bits equal.
 */
class BitmapTest {
    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /**
     * name, create (format options size), steps: "io:CMD" runs qemu-io CMD on both copies, "abort" leaves the
     * bitmaps in use (qemu-io killed with the image open), "src:ARGS" runs qemu-img ARGS on the shared source
     * image SRC (made as "qcow2 1M" unless created here); anything else is a bitmap command line, the image
     * named IMG.
     */
    static Stream<Arguments> cases() {
        return Stream.of(
                c("lifecycle", "qcow2 10M", "io:write 0 1M", "--add IMG b0", "--add -g 512k IMG b1",
                        "--add --disable IMG b2", "io:write 3M 1M", "--clear IMG b1", "io:write 1M 1M",
                        "--disable IMG b1", "--enable IMG b2", "io:write 2M 1M", "--add --merge b2 IMG b3",
                        "--merge b1 IMG b3", "--remove IMG b0", "--remove --add -g 1k --merge b3 IMG b1",
                        "--remove IMG b1", "--remove IMG b2", "--remove IMG b3", "--add IMG last"),
                c("many-actions", "qcow2 10M", "--add --disable --enable --clear IMG a", "io:write 64k 8M",
                        "--add -g 2M --merge a --disable IMG b", "--clear --merge a --merge b --enable IMG b",
                        "--merge b IMG b", "--add --merge a IMG c", "--remove IMG a"),
                c("granularities", "qcow2 -o cluster_size=4k 64M", "--add -g 512 IMG fine", "--add -g 2G IMG coarse",
                        "--add IMG dflt", "io:write 511 1;write 20M 4k;write 63M 1M", "--add --merge fine IMG f2",
                        "--add -g 64k --merge fine IMG g64", "--merge coarse IMG fine", "--add -g 4k --merge g64 IMG g4"),
                c("512-byte-clusters", "qcow2 -o cluster_size=512 8M", "--add -g 512 IMG a", "io:write 0 1M;write 7M 1M",
                        "--add -g 1k --merge a IMG b", "--remove IMG a"),
                c("2M-clusters-extended-l2", "qcow2 -o cluster_size=2M,extended_l2=on 100M", "--add IMG a",
                        "io:write 50M 1M", "--add --merge a -g 1M IMG b", "--clear IMG a"),
                c("with-backing-and-snapshot", "qcow2 10M", "io:write 0 1M", "src:snapshot -c s1 IMG",
                        "--add IMG a", "io:write 2M 2M", "src:snapshot -c s2 IMG", "--add --merge a IMG b"),
                c("unaligned-size", "qcow2 10000000", "--add -g 512 IMG a", "io:write 9999360 512",
                        "--add -g 1M --merge a IMG b"),
                c("merge-from-other-file", "qcow2 10M", "src:bitmap --add -g 8k SRC s",
                        "src:DIRECT write 1M 100k", "--add IMG t", "--merge s -b SRC IMG t",
                        "--merge s -b SRC -F qcow2 IMG t", "--merge s -b SRC -F raw IMG t",
                        "--merge t -b SRC IMG t", "--merge s -b IMG IMG t"),
                c("merge-different-size", "qcow2 20M", "src:bitmap --add SRC s", "--add IMG t",
                        "--merge s -b SRC IMG t"),
                c("in-use", "qcow2 10M", "--add IMG b1", "--add --disable IMG b2", "--add IMG b3", "io:write 0 64k",
                        "abort", "--clear IMG b1", "--enable IMG b2", "--disable IMG b1", "--merge b1 IMG b3",
                        "--add --merge b2 IMG b4", "--add IMG b1", "--remove IMG b1", "--add IMG b5",
                        "--remove --add IMG b2", "--clear IMG b2"),
                c("failed-action-stores-the-rest", "qcow2 10M", "--add --merge nope IMG b1", "--clear --add IMG b1",
                        "--add IMG b2", "--merge b1 --remove --clear IMG b2"),
                c("errors", "qcow2 10M", "IMG b", "--add IMG", "--add", "--add IMG b c", "--add IMG ''",
                        "--add -g 256 IMG b", "--add -g 1000 IMG b", "--add -g 4G IMG b", "--add -g 6G IMG b",
                        "--add -g -1 IMG b", "--add -g 1x IMG b", "--remove -g 1M IMG b", "--remove -F qcow2 IMG b",
                        "--remove -b IMG IMG b", "--remove IMG b", "--clear IMG b", "--enable IMG b",
                        "--disable IMG b", "--merge x IMG b", "--merge", "--bogus IMG b", "-x IMG b",
                        "--add --add IMG b", "--add IMG " + "n".repeat(1024), "--add IMG " + "n".repeat(1023),
                        "--add IMG \u00e9t\u00e9", "--rem --ad IMG b", "--add -f raw IMG r", "--add -f qcow2 IMG nope.img",
                        "--merge=b IMG c", "--add IMG -- b", "--add nonexistent.qcow2 b", "--merge b -b nonexistent.qcow2 IMG b"),
                c("stale-extension", "qcow2 10M", "--add IMG a", "io:write 0 1M", "--add IMG b", "autoclear",
                        "--add IMG c", "--add IMG d", "autoclear", "--remove IMG x"),
                c("v2", "qcow2 -o compat=0.10 1M", "--add IMG b", "--remove IMG b"),
                c("raw", "raw 1M", "--add -f raw IMG b", "--remove -f raw IMG b", "--add -g 256 -f raw IMG b"),
                c("too-big", "qcow2 1P", "--add -g 512 IMG b", "--add -g 2G IMG b"));
    }

    private static Arguments c(String name, String create, String... steps) {
        return Arguments.of(name, create, List.of(steps));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String create, List<String> steps) {
        String[] c = create.split(" ");
        Twin t = Twin.of("bitmap-" + name, img -> {
            List<String> args = new ArrayList<>(List.of("create", "-q", "-f", c[0]));
            args.addAll(List.of(c).subList(1, c.length - 1));
            args.add(img.toString());
            args.add(c[c.length - 1]);
            new Qemu(img.getParent()).img(args.toArray(new String[0]));
        });
        Path src = t.a.getParent().resolve("src.qcow2");
        t.qemu.img("create", "-q", "-f", "qcow2", src.toString(), "1M");
        if (name.equals("merge-from-other-file")) {
            t.qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4k", src.toString(), "10M");
        }
        for (String step : steps) {
            if (step.startsWith("io:")) {
                t.qemu.io(t.a, c[0], List.of(step.substring(3).split(";")));
                t.qemu.io(t.b, c[0], List.of(step.substring(3).split(";")));
            } else if (step.equals("autoclear")) {
                // a program without bitmap support wrote the image: the bitmaps autoclear bit is clear
                clearAutoclear(t.a);
                clearAutoclear(t.b);
            } else if (step.equals("abort")) {
                Proc.run(t.a.getParent(), Qemu.QEMU_IO, "-c", "abort", t.a.toString());
                Proc.run(t.b.getParent(), Qemu.QEMU_IO, "-c", "abort", t.b.toString());
            } else if (step.startsWith("src:DIRECT ")) {
                t.qemu.io(src, "qcow2", step.substring(11));
            } else if (step.startsWith("src:")) {
                String[] w = step.substring(4).replace("SRC", src.toString()).split(" ");
                if (w[w.length - 1].equals("IMG") || List.of(w).contains("IMG")) {
                    t.qemu.img(with(w, t.a));
                    t.qemu.img(with(w, t.b));
                } else {
                    t.qemu.img(w);
                }
            } else {
                List<String> args = new ArrayList<>(List.of("bitmap"));
                for (String w : step.split(" ")) {
                    args.add(w.equals("''") ? "" : w.replace("SRC", src.toString()));
                }
                same(t, args.toArray(new String[0]));
                if (name.equals("too-big")) {
                    // qemu-img compare of two 1 PiB images takes minutes: check alone
                    assertThat(t.qemu.imgResult("check", t.b.toString()).exitCode()).isZero();
                } else if (name.equals("stale-extension")) {
                    // the bitmaps left behind leak: both images get the same check report (exit 3)
                    ProcResult qa = t.qemu.imgResult("check", t.a.toString());
                    ProcResult qb = t.qemu.imgResult("check", t.b.toString());
                    assertThat(qb.stdout()).isEqualTo(qa.stdout());
                    assertThat(qb.exitCode()).isEqualTo(qa.exitCode());
                    assertThat(json(t, t.b)).isEqualTo(json(t, t.a));
                } else if (c[0].equals("qcow2")) {
                    t.checkedAndEqual();
                    // qimg's own check counts the bitmaps' clusters as qemu-img's does
                    ProcResult qc = t.qemu.imgResult("check", t.b.toString());
                    ProcResult mc = Qimg.inProcess("check", t.b.toString());
                    assertThat(mc.stdout()).as("qimg check").isEqualTo(qc.stdout());
                    assertThat(mc.exitCode()).isEqualTo(qc.exitCode());
                    assertThat(json(t, t.b)).isEqualTo(json(t, t.a));
                }
                t.sameBytesButSnapshotDates(); // the twins' snapshots were taken at different moments
            }
        }
    }

    private static void clearAutoclear(Path img) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
            ch.read(b, 88);
            ch.write(java.nio.ByteBuffer.allocate(8).putLong(0, b.getLong(0) & ~1L), 88);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] with(String[] w, Path img) {
        String[] out = w.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = out[i].replace("IMG", img.toString());
        }
        return out;
    }

    /** Both tools give the same exit code, stdout and stderr (QEMU's random node names masked). */
    private static void same(Twin t, String... args) {
        ProcResult q = t.qemuImg(args);
        ProcResult m = t.qimg(args);
        assertThat(mask(Twin.normal(m.stderr(), t.b))).as("stderr of %s", m.command())
                .isEqualTo(mask(Twin.normal(q.stderr(), t.a)));
        assertThat(Twin.normal(m.stdout(), t.b)).as("stdout of %s", m.command())
                .isEqualTo(Twin.normal(q.stdout(), t.a));
        assertThat(m.exitCode()).as("exit code of %s\n%s", m.command(), m.describe()).isEqualTo(q.exitCode());
    }

    private static String mask(String s) {
        // the stale-bitmaps warning ends without a newline: the next message's prefix follows on its line
        return s.replaceAll("#block\\d+", "#block").replace("to fix.qimg: ", "to fix.qemu-img: ");
    }

    /** The bitmaps qemu-img info --output=json lists ("format-specific" data), as text. */
    private static String json(Twin t, Path image) {
        String out = t.qemu.img("info", "-U", "--output=json", image.toString());
        int at = out.indexOf("\"format-specific\"");
        return at < 0 ? "" : out.substring(at).replace(image.toString(), "IMG");
    }

    /** A convert case: the source made by {@code make}, then qemu-img's and qimg's converts compared. */
    private record Converted(Path dir, Path src, ProcResult qemu, ProcResult qimg, Path a, Path b) {
    }

    private static Converted convert(String name, java.util.function.BiConsumer<Qemu, Path> make,
                                     String... options) {
        Path dir = Scratch.dir("commands-bitmap-convert-" + name);
        Qemu q = new Qemu(dir);
        Path src = dir.resolve("src.qcow2");
        make.accept(q, src);
        Path a = dir.resolve("qemu.qcow2");
        Path b = dir.resolve("qimg.qcow2");
        List<String> args = new ArrayList<>(List.of("convert"));
        args.addAll(List.of(options));
        args.add(src.toString());
        ProcResult qr = q.imgResult(with(args, a));
        ProcResult mr = Qimg.subprocess(dir, with(args, b));
        return new Converted(dir, src, qr, mr, a, b);
    }

    private static String[] with(List<String> args, Path dst) {
        List<String> out = new ArrayList<>(args);
        out.add(dst.toString());
        return out.toArray(new String[0]);
    }

    private static void bitmaps(Qemu q, Path img) {
        q.img("create", "-q", "-f", "qcow2", img.toString(), "10M");
        q.io(img, "qcow2", "write 0 1M");
        q.img("bitmap", "--add", img.toString(), "b1");
        q.img("bitmap", "--add", "-g", "512k", "--disable", img.toString(), "b2");
        q.io(img, "qcow2", "write 3M 1M", "write -z 6M 1M");
        q.img("bitmap", "--add", "-g", "4k", img.toString(), "b3");
        q.io(img, "qcow2", "write 9M 512");
    }

    @Test
    void convertCopiesBitmapsAsQemuImg() throws IOException {
        for (String[] opts : List.of(new String[] {"--bitmaps", "-O", "qcow2"},
                new String[] {"--bitmaps", "-O", "qcow2", "-o", "cluster_size=4k"},
                new String[] {"--bitmaps", "-c", "-O", "qcow2"},
                new String[] {"--bitmaps", "--skip-broken-bitmaps", "-O", "qcow2", "-o", "cluster_size=512"})) {
            Converted r = convert("copy-" + String.join("", opts).replaceAll("[^a-z0-9]", ""), BitmapTest::bitmaps,
                    opts);
            assertThat(r.qimg().exitCode()).as(r.qimg().describe()).isZero();
            assertThat(r.qemu().exitCode()).as(r.qemu().describe()).isZero();
            assertThat(Files.mismatch(r.a(), r.b())).as("first differing byte, %s", List.of(opts)).isEqualTo(-1L);
            assertThat(new Qemu(r.dir()).imgResult("check", r.b().toString()).exitCode()).isZero();
        }
    }

    @Test
    void convertRefusesInconsistentBitmapsAsQemuImg() {
        java.util.function.BiConsumer<Qemu, Path> broken = (q, img) -> {
            bitmaps(q, img);
            Proc.run(img.getParent(), Qemu.QEMU_IO, "-c", "abort", img.toString());
            q.img("bitmap", "--add", img.toString(), "b4");
            q.img("bitmap", "--remove", img.toString(), "b1");
        };
        Converted r = convert("inconsistent", broken, "--bitmaps", "-O", "qcow2");
        assertThat(r.qimg().exitCode()).isEqualTo(r.qemu().exitCode()).isEqualTo(1);
        assertThat(mask(r.qimg().stderr().replace("qimg:", "qemu-img:")))
                .isEqualTo(mask(r.qemu().stderr()));
        assertThat(r.b()).doesNotExist();
        Converted s = convert("skip", broken, "--bitmaps", "--skip-broken-bitmaps", "-O", "qcow2");
        assertThat(s.qimg().exitCode()).isZero();
        assertThat(s.qimg().stderr().replace("qimg:", "qemu-img:")).isEqualTo(s.qemu().stderr());
        assertThat(s.qimg().stderr()).contains("Skipping inconsistent bitmap 'b3'", "'b2'");
        try {
            assertThat(Files.mismatch(s.a(), s.b())).isEqualTo(-1L);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void convertErrorsAsQemuImg() {
        for (String[] opts : List.of(new String[] {"--bitmaps", "-O", "raw"},
                new String[] {"--skip-broken-bitmaps", "-O", "qcow2"},
                new String[] {"--bitmaps", "-O", "vmdk"})) {
            Converted r = convert("errors", BitmapTest::bitmaps, opts);
            assertThat(r.qimg().exitCode()).as(r.qimg().describe()).isEqualTo(r.qemu().exitCode()).isEqualTo(1);
            assertThat(r.qimg().stderr().replace("qimg:", "qemu-img:")).isEqualTo(r.qemu().stderr());
            assertThat(r.b()).as("qimg leaves no DST").doesNotExist();
        }
        // a raw source has no bitmaps to copy
        Converted r = convert("raw-source", (q, img) -> q.img("create", "-q", "-f", "raw", img.toString(), "1M"),
                "-f", "raw", "--bitmaps", "-O", "qcow2");
        assertThat(r.qimg().stderr().replace("qimg:", "qemu-img:")).isEqualTo(r.qemu().stderr());
        assertThat(r.qimg().exitCode()).isEqualTo(r.qemu().exitCode()).isEqualTo(1);
    }
}
