package org.qimg.tests.commands;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Qemu;

/**
 * {@code qimg resize} against {@code qemu-img resize} on copies of the same image: same output and exit
 * code; afterwards qimg's image passes {@code qemu-img check}, reads as qemu-img's and has the same
 * {@code qemu-img info}; where QEMU's allocation order is imitated exactly, the files are byte for byte equal.
 */
class ResizeTest {
    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** name, qemu-img create options (format first), qemu-io commands, resize arguments, exact bytes. */
    static Stream<Arguments> cases() {
        return Stream.of(
                c("grow-empty", "qcow2 -o cluster_size=65536 1M", "", "IMG +1M", true),
                c("grow-l1", "qcow2 1M", "write -P 1 0 1M", "IMG 100G", true),
                c("grow-512-refblocks", "qcow2 -o cluster_size=512 1M", "write -P 1 0 1M", "IMG 1G", true),
                c("grow-512-rc64-reftable", "qcow2 -o cluster_size=512,refcount_bits=64 1M", "write -P 1 0 1M",
                        "IMG 10G", false),
                c("grow-rc1", "qcow2 -o cluster_size=1024,refcount_bits=1 1M", "write -P 1 0 1M", "IMG 10G", true),
                c("grow-v2", "qcow2 -o compat=0.10 1M", "write -P 7 0 64k", "-f qcow2 IMG 2G", true),
                c("grow-snapshot-v3", "qcow2 1M", "write -P 7 0 64k;SNAP", "IMG 2G", true),
                c("shrink-with-snapshot", "qcow2 -o cluster_size=4k 1G",
                        "write -P 1 0 8M;write -P 2 600M 1M;write -c -P 3 700M 64k;SNAP;write -P 4 0 1M;"
                                + "write -P 5 601M 64k", "--shrink IMG 5M", true),
                c("shrink-with-snapshot-64k", "qcow2 1G",
                        "write -P 1 0 8M;write -P 2 600M 1M;SNAP;write -P 4 0 1M", "--shrink IMG 10M", true),
                c("same-size", "qcow2 1M", "", "IMG 1M", true),
                c("shrink-refused", "qcow2 1M", "write -P 1 0 1M", "IMG 512k", true),
                c("shrink-empty", "qcow2 1M", "", "--shrink IMG 512k", true),
                c("shrink-full", "qcow2 1G", "write -P 1 0 64M", "--shrink IMG 10M", true),
                c("shrink-mixed", "qcow2 10G", "write -P 1 0 1M;write -P 2 5G 1M;write -c -P 3 9G 64k",
                        "--shrink IMG 5000M", true),
                c("shrink-l1", "qcow2 10G", "write -P 1 0 1M;write -P 2 5G 1M;write -c -P 3 9G 64k",
                        "--shrink IMG 1G", true),
                c("shrink-512-refblocks", "qcow2 -o cluster_size=512 100M", "write -P 1 0 8M",
                        "--shrink IMG 1M", true),
                c("shrink-4k-zero-compressed", "qcow2 -o cluster_size=4k 1G",
                        "write -P 1 0 8M;write -c -P 1 500M 1M;write -z 600M 1M", "--shrink IMG 499M", true),
                c("shrink-v2", "qcow2 -o compat=0.10 1G", "write -P 1 0 8M;write -c -P 1 500M 1M",
                        "--shrink IMG 499M", true),
                c("shrink-relative", "qcow2 1G", "write -P 1 0 8M", "--shrink IMG -- -1000M", true),
                c("unaligned", "qcow2 1M", "", "--shrink IMG 1000", true),
                c("not-positive", "qcow2 1M", "", "IMG -- -5M", true),
                c("bad-size", "qcow2 1M", "", "IMG abc", true),
                c("huge-size", "qcow2 1M", "", "IMG 9E", true),
                c("no-size", "qcow2 1M", "", "IMG", true),
                c("size-not-last", "qcow2 1M", "", "IMG +1M --shrink", true),
                c("quiet", "qcow2 1M", "", "-q IMG 2M", true),
                c("bad-prealloc", "qcow2 1M", "", "--preallocation=foo IMG 2M", true),
                c("prealloc-not-growing", "qcow2 1M", "", "--preallocation=full IMG 1M", true),
                c("v2-snapshot", "qcow2 -o compat=0.10 1M", "SNAP", "IMG 2M", true),
                c("raw-grow-probed", "raw 1M", "write -P 1 0 4k", "IMG 3001", true),
                c("raw-grow", "raw 1M", "write -P 1 0 4k", "-f raw IMG 3001", true),
                c("raw-shrink", "raw 1M", "write -P 1 0 1M", "-f raw --shrink IMG 3001", true),
                c("raw-shrink-refused", "raw 1M", "", "-f raw IMG 3001", true),
                c("raw-falloc", "raw 1M", "write -P 1 0 1M", "-f raw --preallocation=falloc IMG 3M", true),
                c("raw-full", "raw 1M", "write -P 1 0 1M", "-f raw --preallocation=full IMG 3M", true),
                c("raw-metadata", "raw 1M", "", "-f raw --preallocation=metadata IMG 3M", true));
    }

    private static Arguments c(String name, String create, String io, String resize, boolean exact) {
        return Arguments.of(name, create, io, resize, exact);
    }

    @ParameterizedTest(name = "{0}: resize {3}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String create, String io, String resize, boolean exact) {
        String[] c = create.split(" ");
        String format = c[0];
        Twin t = Twin.of("resize-" + name, img -> {
            Qemu q = new Qemu(img.getParent());
            List<String> args = new java.util.ArrayList<>(List.of("create", "-q", "-f", format));
            args.addAll(List.of(c).subList(1, c.length - 1));
            args.add(img.toString());
            args.add(c[c.length - 1]);
            q.img(args.toArray(new String[0]));
            for (String cmd : io.isEmpty() ? new String[0] : io.split(";")) {
                if (cmd.equals("SNAP")) {
                    q.img("snapshot", "-c", "snap", img.toString());
                } else {
                    q.io(img, format, cmd);
                }
            }
        });
        String[] args = ("resize " + resize).split(" ");
        t.same(args);
        t.checkedAndEqual();
        if (exact) {
            t.sameBytes();
        }
    }
}
