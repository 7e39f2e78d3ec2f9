package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;

/**
 * {@code qimg check} and {@code check -r leaks|all} against qemu-img 7.2 on images damaged by hand (refcounts,
 * refcount table entries) and by qemu-io: each tool checks and repairs its own copy, step by step; every step
 * prints the same stdout and stderr (the problem lines, "Rebuilding refcount structure", the "found and
 * repaired" summary and the re-check) and exits the same. After each repair qemu-img's check of qimg's copy
 * exits as its check of its own copy, and the two copies read the same; where QEMU's result is deterministic
 * the repaired files are byte for byte the same.
 */
class CheckRepairOracleTest {
    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** name, damage (see {@link #damage}), whether the repaired files are byte for byte qemu-img's, steps. */
    static Stream<Arguments> cases() {
        return Stream.of(
                c("leak", "REFCOUNT 9 1", true, "check IMG", "check --output=json IMG", "check -r leaks IMG",
                        "check IMG"),
                c("leaks-json", "REFCOUNT 9 1;REFCOUNT 12 1", true, "check -r leaks --output=json IMG", "check IMG"),
                c("leak-quiet", "REFCOUNT 9 1", true, "check -q -r all IMG", "check IMG"),
                c("leak-too-high", "REFCOUNT 4 2", true, "check IMG", "check -r leaks IMG", "check IMG"),
                c("corruption", "REFCOUNT 4 0", true, "check IMG", "check -r leaks IMG", "check -r all IMG",
                        "check IMG"),
                c("corruption-json", "REFCOUNT 4 0", true, "check -r all --output=json IMG", "check IMG"),
                c("empty-reftable", "REFTABLE 0;IO write 0 64k", true, "check IMG", "check -r all IMG", "check IMG"),
                c("unaligned-refblock", "REFTABLE 0x2a00;IO discard 0 65537", true, "check IMG", "check -r all IMG",
                        "check IMG", "check -r all IMG", "check IMG"));
    }

    private static Arguments c(String name, String damage, boolean sameBytes, String... steps) {
        return Arguments.of(name, damage, sameBytes, List.of(steps));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameAsQemuImg(String name, String damage, boolean sameBytes, List<String> steps) {
        Twin t = Twin.of("check-" + name, img -> {
            Qemu q = new Qemu(img.getParent());
            q.img("create", "-q", "-f", "qcow2", img.toString(), "64M");
            q.io(img, "qcow2", "write -P 1 0 128k", "write -P 2 1M 64k");
            for (String d : damage.split(";")) {
                damage(q, img, d);
            }
        });
        for (String step : steps) {
            t.same(step.split(" "));
            if (step.contains("-r")) {
                ProcResult own = t.qemu.imgResult("check", t.a.toString());
                ProcResult ours = t.qemu.imgResult("check", t.b.toString());
                assertThat(ours.exitCode()).as("qemu-img check of qimg's repaired copy\n%s", ours.describe())
                        .isEqualTo(own.exitCode());
                ProcResult cmp = t.qemu.imgResult("compare", t.a.toString(), t.b.toString());
                assertThat(cmp.exitCode()).as("qemu-img compare\n%s", cmp.describe()).isZero();
                if (sameBytes) {
                    t.sameBytes();
                }
            }
        }
    }

    /**
     * {@code REFCOUNT N V}: the 16-bit refcount of host cluster N set to V (in refcount block 0);
     * {@code REFTABLE V}: refcount table entry 0 set to V; {@code IO CMD}: a qemu-io command whose failure
     * (on a damaged image) is expected.
     */
    private static void damage(Qemu q, Path img, String d) {
        String[] w = d.split(" ", 2);
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(72);
            ch.read(h, 0);
            long reftable = h.getLong(48);
            switch (w[0]) {
                case "REFCOUNT" -> {
                    String[] nv = w[1].split(" ");
                    ByteBuffer e = ByteBuffer.allocate(8);
                    ch.read(e, reftable);
                    long block = e.getLong(0);
                    ch.write(ByteBuffer.allocate(2).putShort(0, Short.parseShort(nv[1])),
                            block + 2L * Long.parseLong(nv[0]));
                }
                case "REFTABLE" -> ch.write(ByteBuffer.allocate(8).putLong(0, Long.decode(w[1])), reftable);
                case "IO" -> { } // below, once the file is closed
                default -> throw new IllegalArgumentException(d);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (w[0].equals("IO")) {
            org.qimg.tests.support.Proc.run(img.getParent(), List.of(Qemu.QEMU_IO, "-f", "qcow2", "-c", w[1],
                    img.toString()));
        }
    }
}
