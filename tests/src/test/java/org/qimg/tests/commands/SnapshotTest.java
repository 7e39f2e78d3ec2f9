package org.qimg.tests.commands;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;

/**
 * {@code qimg snapshot} against {@code qemu-img snapshot}: a sequence of snapshot commands is run by each
 * tool on its copy of the same image; after every step the output (dates masked) and exit code are the
 * same, qimg's image passes {@code qemu-img check}, reads as qemu-img's, and (snapshot dates aside) is byte
 * for byte qemu-img's: the same clusters allocated and freed, the same refcounts and COPIED flags.
 */
class SnapshotTest {
    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** name, create (format options size), setup (";"-separated qemu-io commands, or "qemu-img ..." steps), steps. */
    static Stream<Arguments> cases() {
        return Stream.of(
                c("create-list", "qcow2 1M", "", "-c s1 IMG", "-l IMG", "-c s1 IMG", "-l IMG"),
                c("mixed-clusters", "qcow2 10M", "write -P 1 0 1M;write -c -P 2 2M 1M;write -z 4M 1M",
                        "-c s1 IMG", "-l IMG", "-c s2 IMG", "-d s1 IMG", "-a 2 IMG", "-l IMG"),
                c("apply-restores", "qcow2 10M", "write -P 1 0 1M;IMG snapshot -c s1;write -P 3 0 512k",
                        "-a s1 IMG", "-l IMG"),
                c("delete-after-write", "qcow2 10M", "write -P 1 0 1M;IMG snapshot -c s1;write -P 3 0 512k",
                        "-d s1 IMG", "-l IMG"),
                c("delete-by-id-refused", "qcow2 10M", "write -P 1 0 1M;IMG snapshot -c s1;IMG snapshot -c s2",
                        "-d 1 IMG", "-a s2 IMG", "-d s2 IMG", "-d s1 IMG", "-l IMG", "-c again IMG", "-l IMG"),
                c("v2-4k", "qcow2 -o compat=0.10,cluster_size=4k 10M", "write -P 1 0 1M;write -c -P 2 2M 1M",
                        "-c s1 IMG", "-c s2 IMG", "-d s1 IMG", "-a s2 IMG", "-l IMG"),
                c("512-byte-clusters", "qcow2 -o cluster_size=512 4M", "write -P 1 0 1M;write -c -P 2 2M 1M",
                        "-c s1 IMG", "-c s2 IMG", "-c s3 IMG", "-d s2 IMG", "-a s1 IMG", "-l IMG"),
                c("refcount-overflow", "qcow2 -o refcount_bits=1 4M", "write -P 1 0 1M", "-c s1 IMG"),
                c("refcount-overflow-bits-2", "qcow2 -o refcount_bits=2 4M",
                        "write 0 512;IMG snapshot -c foo;IMG snapshot -c bar", "-c baz IMG", "-c baz2 IMG"),
                c("refcount-overflow-compressed", "qcow2 -o refcount_bits=1 4M",
                        "write -c -P 1 0 64k;write -c -P 2 64k 64k;write -P 3 1M 64k", "-c s1 IMG"),
                c("refcount-overflow-extended-l2", "qcow2 -o refcount_bits=1,extended_l2=on 4M",
                        "write -P 1 0 64k;write -c -P 3 1M 64k", "-c s1 IMG", "-c s2 IMG"),
                c("apply-grows", "qcow2 4M", "write -P 1 0 1M;IMG snapshot -c s1;IMG snapshot -a s1;"
                        + "IMG resize 1G;write -P 5 600M 1M;IMG snapshot -c s2;IMG snapshot -a s1",
                        "-a s2 IMG", "-l IMG"),
                c("errors", "qcow2 1M", "", "-a nope IMG", "-d nope IMG", "IMG", "-l -l IMG", "-c x",
                        "-c", "-l IMG IMG", "-q -l IMG"),
                c("raw", "raw 1M", "", "-c x IMG", "-a x IMG", "-d x IMG", "-l IMG"),
                c("unaligned-snapshot-l1", "qcow2 4M", "write -P 1 0 1M;IMG snapshot -c test;L1 0x400200",
                        "-a test IMG", "-d test IMG"),
                c("huge-snapshot-l1", "qcow2 4M", "IMG snapshot -c test;L1SIZE 0x10000000",
                        "-a test IMG", "-d test IMG"),
                c("l2-outside-refcounts", "qcow2 4M", "write -P 1 0 1M;L2 0xffffffffff0000", "-c test IMG"));
    }

    private static Arguments c(String name, String create, String setup, String... steps) {
        return Arguments.of(name, create, setup, List.of(steps));
    }

    /**
     * Corrupts a copy made by qemu-img: {@code snapshotL1} sets the first snapshot's L1 table offset, else the
     * active L1 table's first entry (an L2 table no refcount block covers).
     */
    private static void poke(java.nio.file.Path img, boolean snapshotL1, long value) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(72);
            ch.read(h, 0);
            long at = snapshotL1 ? h.getLong(64) : h.getLong(40);
            ch.write(java.nio.ByteBuffer.allocate(8).putLong(0, value), at);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Sets the first snapshot's {@code l1_size}. */
    private static void pokeL1Size(java.nio.file.Path img, int entries) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(72);
            ch.read(h, 0);
            ch.write(java.nio.ByteBuffer.allocate(4).putInt(0, entries), h.getLong(64) + 8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String create, String setup, List<String> steps) {
        String[] c = create.split(" ");
        String format = c[0];
        Twin t = Twin.of("snapshot-" + name, img -> {
            Qemu q = new Qemu(img.getParent());
            List<String> args = new java.util.ArrayList<>(List.of("create", "-q", "-f", format));
            args.addAll(List.of(c).subList(1, c.length - 1));
            args.add(img.toString());
            args.add(c[c.length - 1]);
            q.img(args.toArray(new String[0]));
            for (String step : setup.isEmpty() ? new String[0] : setup.split(";")) {
                if (step.startsWith("L1SIZE ")) {
                    pokeL1Size(img, Integer.decode(step.substring(7)));
                } else if (step.startsWith("L1 ") || step.startsWith("L2 ")) {
                    poke(img, step.startsWith("L1 "), Long.decode(step.substring(3)));
                } else if (step.startsWith("IMG ")) {
                    String[] w = step.substring(4).split(" ");
                    List<String> a = new java.util.ArrayList<>(List.of(w));
                    a.add(a.get(0).equals("resize") ? 1 : a.size(), img.toString());
                    if (a.get(0).equals("resize")) {
                        a.add(1, "-f");
                        a.add(2, "qcow2");
                    }
                    q.img(a.toArray(new String[0]));
                } else {
                    q.io(img, format, step);
                }
            }
        });
        for (String step : steps) {
            List<String> args = new java.util.ArrayList<>(List.of("snapshot"));
            args.addAll(List.of(step.split(" ")));
            t.same(args.toArray(new String[0]));
            if (name.equals("unaligned-snapshot-l1") || name.equals("huge-snapshot-l1")) {
                t.sameBytesButSnapshotDates(); // refused before anything is written, by both tools
                continue;
            }
            if (name.equals("l2-outside-refcounts")) {
                continue; // qemu-img has counted some clusters when it fails; qimg refuses before writing
            }
            if (name.startsWith("refcount-overflow")) {
                // qemu-img fails after allocating the snapshot's L1 copy and counting the clusters before the
                // full one: a leak that qemu-img check reports (iotest 112); qimg leaves the same
                ProcResult qc = t.qemu.imgResult("check", t.a.toString());
                ProcResult mc = t.qemu.imgResult("check", t.b.toString());
                org.assertj.core.api.Assertions.assertThat(qc.exitCode()).isEqualTo(3);
                org.assertj.core.api.Assertions.assertThat(mc.stdout()).isEqualTo(qc.stdout());
                org.assertj.core.api.Assertions.assertThat(mc.exitCode()).isEqualTo(qc.exitCode());
                t.sameBytesButSnapshotDates();
                continue;
            }
            if (format.equals("qcow2")) {
                t.checkedAndEqual();
            }
            t.sameBytesButSnapshotDates();
        }
    }
}
