package org.qimg.tests.commands;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Qemu;

/**
 * Edge cases of snapshot and resize against qemu-img 7.2, each tool on its own copy: snapshot names with a NUL
 * byte (QEMU keeps them as C strings: listed, looked up and written back up to the NUL), applying a snapshot
 * whose disk is smaller or larger than the current one, and growing an overlay over a longer backing file
 * (QEMU zeroes the new area so the backing file's data past the old end stays hidden). After every step:
 * the same stdout/stderr/exit code, qemu-img check clean, qemu-img compare identical, and the same bytes
 * (snapshot dates aside).
 */
class SnapshotEdgeTest {
    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    @Test
    void snapshotNamesCutAtNul() {
        Twin t = Twin.of("snapshot-nul", img -> {
            Qemu q = new Qemu(img.getParent());
            q.img("create", "-q", "-f", "qcow2", img.toString(), "1M");
            q.io(img, "qcow2", "write -P 1 0 64k");
            q.img("snapshot", "-c", "abXcd", img.toString());
            q.img("snapshot", "-c", "second", img.toString());
            try {
                byte[] b = Files.readAllBytes(img);
                int at = indexOf(b, "abXcd".getBytes());
                b[at + 2] = 0; // the name is now "ab\0cd"
                Files.write(img, b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        for (String step : List.of("info IMG", "info --output=json IMG", "snapshot -l IMG", "snapshot -a ab IMG",
                "snapshot -c ab IMG", "snapshot -l IMG", "snapshot -d ab IMG", "snapshot -l IMG",
                "snapshot -d ab IMG", "snapshot -l IMG", "snapshot -d ab IMG")) {
            t.same(step.split(" "));
            t.checkedAndEqual();
            t.sameBytesButSnapshotDates();
        }
    }

    /** name, create options, size at the snapshot, writes then, size after, writes after. */
    static Stream<Arguments> applies() {
        return Stream.of(
                Arguments.of("to-smaller", "", "1M", "write -P 1 0 1M", "3M", "write -P 2 0 3M"),
                Arguments.of("to-larger", "", "3M", "write -P 1 0 3M", "1M", "write -P 2 0 1M"),
                Arguments.of("to-much-smaller", "", "1M", "write -P 1 0 1M", "3G", "write -P 2 2G 1M"),
                Arguments.of("to-smaller-4k", "-o cluster_size=4k", "1M", "write -P 1 0 100k", "9M",
                        "write -P 2 8M 64k"),
                Arguments.of("to-smaller-refcount-bits-2", "-o refcount_bits=2", "1M", "write -P 1 0 1M", "3M",
                        "write -P 2 0 3M"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("applies")
    void applySnapshotOfAnotherSize(String name, String opts, String size1, String io1, String size2, String io2) {
        Twin t = Twin.of("apply-" + name, img -> {
            Qemu q = new Qemu(img.getParent());
            create(q, img, opts, size1, null);
            q.io(img, "qcow2", io1);
            q.img("snapshot", "-c", "snap", img.toString());
            q.img("resize", "-f", "qcow2", "--shrink", img.toString(), size2);
            q.io(img, "qcow2", io2);
        });
        // (not "info": qemu-img punches the clusters the apply frees, qimg leaves them allocated: disk size differs)
        for (String step : List.of("snapshot -a snap IMG", "snapshot -l IMG")) {
            t.same(step.split(" "));
            t.checkedAndEqual();
            t.sameBytesButSnapshotDates();
        }
    }

    /** name, create options, backing size, overlay size, overlay writes, shrink to ("" none), grow to. */
    static Stream<Arguments> grows() {
        return Stream.of(
                Arguments.of("iotest-292", "", "1M", "1M", "write -P 0x22 0 1M", "520k", "567k"),
                Arguments.of("unallocated", "", "4M", "1M", "", "", "3M"),
                Arguments.of("written", "", "4M", "1M", "write -P 0x22 0 1M", "", "3M"),
                Arguments.of("unaligned-old-end", "", "4M", "1000k", "write -P 0x22 0 1000k", "", "3M"),
                Arguments.of("l1-grows", "", "3G", "1M", "write -P 0x22 0 64k", "", "2G"),
                Arguments.of("extended-l2", "-o extended_l2=on", "4M", "1M", "write -P 0x22 0 1M", "", "3M"),
                Arguments.of("extended-l2-unaligned", "-o extended_l2=on", "4M", "1001k", "write -P 0x22 0 1001k", "",
                        "3M"),
                Arguments.of("4k-clusters", "-o cluster_size=4k", "4M", "1M", "write -P 0x22 0 100k", "", "3M"),
                Arguments.of("after-shrink", "", "4M", "2M", "write -P 0x22 0 2M", "1M", "3M"),
                Arguments.of("compressed-past-end", "", "4M", "2M", "write -c -P 0x22 1M 64k", "1088k", "3M"),
                Arguments.of("backing-not-longer", "", "1M", "1M", "", "", "3M"),
                Arguments.of("v2-refused", "-o compat=0.10", "4M", "1M", "", "", "3M"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grows")
    void growOverLongerBacking(String name, String opts, String baseSize, String size, String io, String shrink,
                               String grow) {
        Twin t = Twin.of("grow-" + name, img -> {
            Qemu q = new Qemu(img.getParent());
            Path base = img.resolveSibling("backing.qcow2"); // named relatively: both copies share it
            create(q, base, opts, baseSize, null);
            q.io(base, "qcow2", "write -P 0x11 0 " + (baseSize.equals("1M") ? "1M" : "4M"));
            create(q, img, opts, size, base);
            if (!io.isEmpty()) {
                q.io(img, "qcow2", io);
            }
            if (!shrink.isEmpty()) {
                q.img("resize", "-f", "qcow2", "--shrink", img.toString(), shrink);
            }
        });
        t.same("resize", "IMG", grow);
        t.checkedAndEqual();
        t.sameBytes();
        t.same("map", "--output=json", "IMG");
    }

    private static void create(Qemu q, Path img, String opts, String size, Path backing) {
        List<String> a = new java.util.ArrayList<>(List.of("create", "-q", "-f", "qcow2"));
        if (!opts.isEmpty()) {
            a.addAll(List.of(opts.split(" ")));
        }
        if (backing != null) {
            a.addAll(List.of("-b", backing.getFileName().toString(), "-F", "qcow2"));
        }
        a.add(img.toString());
        a.add(size);
        q.img(a.toArray(new String[0]));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
