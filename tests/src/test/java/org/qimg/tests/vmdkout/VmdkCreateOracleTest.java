package org.qimg.tests.vmdkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg create -f vmdk} against {@code qemu-img create -f vmdk}: the same "Formatting" line, the same file
 * bytes except the CID for monolithicSparse and monolithicFlat (streamOptimized follows VMware's layout and is
 * checked by the readers instead), and the same messages and exit codes for options qemu-img refuses.
 */
class VmdkCreateOracleTest {
    @TempDir
    Path dir;

    private List<String> create(String tool, Path in, String opts, String size) {
        List<String> cmd = new ArrayList<>(List.of("create", "-f", "vmdk"));
        if (!opts.isEmpty()) {
            cmd.add("-o");
            cmd.add(opts);
        }
        cmd.add("d.vmdk");
        if (!size.isEmpty()) {
            cmd.add(size);
        }
        if (tool.equals("qemu-img")) {
            cmd.add(0, "qemu-img");
        } else {
            cmd.add(0, "qimg");
        }
        return cmd;
    }

    private ProcResult[] both(String opts, String size) throws Exception {
        Path q = Files.createDirectories(dir.resolve("qemu"));
        Path o = Files.createDirectories(dir.resolve("qimg"));
        ProcResult theirs = Proc.run(q, create("qemu-img", q, opts, size));
        List<String> ours = create("qimg", o, opts, size);
        ours.remove(0);
        ProcResult mine = Qimg.subprocess(o, ours.toArray(String[]::new));
        return new ProcResult[] {mine, theirs};
    }

    @ParameterizedTest(name = "-o \"{0}\" {1}")
    @CsvSource(delimiter = '|', value = {
        "|10M",
        "|1000",
        "|3G",
        "subformat=monolithicSparse|0",
        "adapter_type=lsilogic|100M",
        "adapter_type=buslogic,hwversion=8|5M",
        "adapter_type=legacyESX,toolsversion=12345|5M",
        "compat6=on|7M",
        "zeroed_grain=on|9M",
        "hwversion=|1M",
        "preallocation=full,extent_size_hint=1M|1M",
        "size=123456|",
        "subformat=monolithicFlat|10M",
        "subformat=monolithicFlat,adapter_type=lsilogic,hwversion=10|1000",
        "subformat=monolithicFlat|0",
        "subformat=twoGbMaxExtentSparse|5G",
        "subformat=twoGbMaxExtentSparse,zeroed_grain=on|2G",
        "subformat=twoGbMaxExtentFlat|2100M",
        "subformat=twoGbMaxExtentFlat|0",
    })
    void sameImageAsQemuImg(String opts, String size) throws Exception {
        opts = opts == null ? "" : opts;
        size = size == null ? "" : size;
        ProcResult[] r = both(opts, size);
        assertThat(r[1].exitCode()).as(r[1].describe()).isZero();
        assertThat(r[0].exitCode()).as(r[0].describe()).isZero();
        assertThat(r[0].stdout()).isEqualTo(r[1].stdout());
        Path ours = dir.resolve("qimg/d.vmdk");
        Path theirs = dir.resolve("qemu/d.vmdk");
        if (opts.contains("Flat") || opts.contains("twoGb")) {
            assertThat(VmdkReaders.descriptorWithoutCid(ours)).isEqualTo(VmdkReaders.descriptorWithoutCid(theirs));
            // the same extent files (none for an empty flat image), byte for byte
            List<String> names;
            try (var s = Files.list(dir.resolve("qemu"))) {
                names = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            try (var s = Files.list(dir.resolve("qimg"))) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(names);
            }
            for (String n : names) {
                if (!n.equals("d.vmdk")) {
                    assertThat(Digests.md5(dir.resolve("qimg").resolve(n))).as(n)
                            .isEqualTo(Digests.md5(dir.resolve("qemu").resolve(n)));
                }
            }
        } else {
            VmdkReaders.assertSameExceptCid(ours, theirs);
        }
        // qemu-img cannot open its own empty monolithicSparse image: ours must behave the same
        ProcResult check = Proc.run(dir, "qemu-img", "check", ours.toString());
        ProcResult checkTheirs = Proc.run(dir, "qemu-img", "check", theirs.toString());
        assertThat(check.exitCode()).as(check.describe()).isEqualTo(checkTheirs.exitCode());
        if (check.exitCode() == 0) {
            VmdkReaders.vmdkinfo(ours);
        }
    }

    /** streamOptimized: VMware's layout, empty; qemu-img and libvmdk read it as zeros of the right size. */
    @ParameterizedTest(name = "streamOptimized {0}")
    @CsvSource({"10M", "1000", "2G"})
    void emptyStreamOptimized(String size) throws Exception {
        ProcResult[] r = both("subformat=streamOptimized", size);
        assertThat(r[0].exitCode()).as(r[0].describe()).isZero();
        assertThat(r[0].stdout()).isEqualTo(r[1].stdout());
        Path ours = dir.resolve("qimg/d.vmdk");
        String info = Proc.ok(dir, "qemu-img", "info", "--output=json", ours.toString());
        long bytes = Long.parseLong(Proc.ok(dir, "qemu-img", "info", "--output=json", dir.resolve("qemu/d.vmdk")
                .toString()).replaceAll("(?s).*\"virtual-size\": (\\d+).*", "$1"));
        assertThat(info).contains("\"virtual-size\": " + bytes).contains("\"create-type\": \"streamOptimized\"");
        VmdkConvertOracleTest.StreamLayout.assertVmwareLayout(ours, bytes);
        ProcResult cmp = Proc.run(dir, "qemu-img", "compare", ours.toString(), dir.resolve("qemu/d.vmdk").toString());
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
        assertThat(VmdkReaders.vmdkinfo(ours)).contains("(" + bytes + " bytes)");
    }

    @ParameterizedTest(name = "-o \"{0}\" {1}")
    @CsvSource(delimiter = '|', value = {
        "subformat=bogus|3M",
        "subformat=streamoptimized|3M",
        "subformat=|3M",
        "adapter_type=LSILOGIC|3M",
        "adapter_type=|3M",
        "compat6=bad|3M",
        "zeroed_grain=maybe|3M",
        "compat6=on,hwversion=7|3M",
        "zeroed_grain=on,subformat=monolithicFlat|3M",
        "cluster_size=4k|3M",
        "backing_fmt=raw|3M",
        "size=1M|3M",
        "|",
    })
    void refusedAsQemuImgRefuses(String opts, String size) throws Exception {
        ProcResult[] r = both(opts == null ? "" : opts, size == null ? "" : size);
        assertThat(r[1].exitCode()).as(r[1].describe()).isNotZero();
        assertThat(r[0].exitCode()).as(r[0].describe()).isEqualTo(r[1].exitCode());
        assertThat(r[0].stdout()).isEqualTo(r[1].stdout());
        assertThat(r[0].stderr().replace("qimg: ", "qemu-img: ")).isEqualTo(r[1].stderr());
    }
}
