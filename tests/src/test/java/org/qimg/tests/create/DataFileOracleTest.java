package org.qimg.tests.create;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.SideBySide;

/**
 * qcow2 images with an external data file ({@code -o data_file=,data_file_raw=}) made by qimg create and convert
 * against qemu-img 7.2's: the same messages and exit codes, a byte-identical image file, a data file of the same
 * length and bytes (and, where qemu-img's allocation is qimg's too, the same allocated blocks), the same
 * {@code qemu-img map}, {@code check} and {@code info} of the result, and guest content equal to the source's.
 */
class DataFileOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /** "OPTIONS SIZE" for create. */
    @ParameterizedTest
    @ValueSource(strings = {"data_file=d.data 1M", "data_file=d.data 1000000", "data_file=d.data 70M",
        "data_file=d.data,data_file_raw=on 1M", "data_file=d.data,data_file_raw=on 70M",
        "data_file=d.data,preallocation=metadata 1M", "data_file=d.data,preallocation=falloc 70M",
        "data_file=d.data,preallocation=full 3M", "data_file=d.data,extended_l2=on 1000000",
        "data_file=d.data,cluster_size=4k,data_file_raw=on 1M", "data_file=d.data,lazy_refcounts=on 5M"})
    void createMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("c-" + Integer.toHexString(spec.hashCode())));
        s.same("create", "-f", "qcow2", "-o", p[0], "d.qcow2", p[1]);
        s.identical("d.qcow2");
        s.identical("d.data");
        s.sameView("d.qcow2", "map", "--output=json");
        s.sameView("d.qcow2", "check");
        s.sameView("d.qcow2", "info", "--output=json");
    }

    /** "OPTIONS": refusals, in qemu-img's order, before or after the "Formatting" line. */
    @ParameterizedTest
    @ValueSource(strings = {"data_file_raw=on", "data_file=d.data,compat=0.10", "data_file=",
        "data_file=d.data,data_file_raw=on,backing_file=b.raw,backing_fmt=raw", "data_file=d.data,data_file_raw=bad",
        "data_file=nodir/d.data"})
    void refusalsMatchQemuImg(String opts) {
        SideBySide s = new SideBySide(dir.resolve("r-" + Integer.toHexString(opts.hashCode())));
        s.qemuBoth("create", "-q", "-f", "raw", "b.raw", "1M");
        s.same("create", "-f", "qcow2", "-o", opts, "d.qcow2", "1M");
        s.identical("d.qcow2");
        s.sameFile("d.data");
    }

    /** "OPTIONS": convert of a qcow2 source with data, zeros and holes into an image with a data file. */
    @ParameterizedTest
    @ValueSource(strings = {"data_file=d.data", "data_file=d.data,data_file_raw=on",
        "data_file=d.data,preallocation=metadata", "data_file=d.data,extended_l2=on",
        "data_file=d.data,preallocation=full", "data_file=d.data,cluster_size=32k"})
    void convertMatchesQemuImg(String opts) {
        SideBySide s = source("v-" + Integer.toHexString(opts.hashCode()));
        s.same("convert", "-O", "qcow2", "-o", opts, "src.qcow2", "d.qcow2");
        s.identical("d.qcow2");
        // the bytes and length of the data file (allocation: see the class comment)
        assertThat(Digests.md5(s.qimgDir().resolve("d.data"))).isEqualTo(Digests.md5(s.qemuDir().resolve("d.data")));
        if (!opts.contains("prealloc") && !opts.contains("raw")) {
            s.sameFile("d.data");
        }
        s.sameView("d.qcow2", "map", "--output=json");
        s.sameView("d.qcow2", "check");
        assertThat(new Qemu(s.qimgDir()).imgResult("compare", "src.qcow2", "d.qcow2").exitCode()).isZero();
        // and qimg reads it back through the data file
        s.same("convert", "-O", "raw", "d.qcow2", "back.raw");
        s.identical("back.raw");
    }

    /**
     * "OPTIONS [-C]": convert -n into an existing image with an external data file (iotests 244's copy
     * offloading): data to each cluster's own offset in the data file, zeros as zero clusters.
     */
    @ParameterizedTest
    @ValueSource(strings = {"data_file=d.data", "data_file=d.data -C", "data_file=d.data,extended_l2=off,cluster_size=4k",
        "data_file=d.data,preallocation=metadata"})
    void convertIntoExistingMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = source("n-" + Integer.toHexString(spec.hashCode()));
        s.qemuBoth("create", "-q", "-f", "qcow2", "-o", p[0], "d.qcow2", "5M");
        s.ioBoth("d.qcow2", "qcow2", "write -P 0x55 1M 2M");
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("convert", "-f", "qcow2", "-O",
                "qcow2", "-n"));
        if (p.length > 1) {
            a.add(p[1]);
        }
        a.add("src.qcow2");
        a.add("d.qcow2");
        s.same(a.toArray(String[]::new));
        s.identical("d.qcow2");
        s.identical("d.data");
        s.sameView("d.qcow2", "map", "--output=json");
        s.sameView("d.qcow2", "check");
        s.sameView("d.qcow2", "info", "--output=json");
        assertThat(new Qemu(s.qimgDir()).imgResult("compare", "src.qcow2", "d.qcow2").exitCode()).isZero();
    }

    @org.junit.jupiter.api.Test
    void compressedConvertIsRefusedAsQemuImgRefusesIt() {
        SideBySide s = source("compressed");
        s.same("convert", "-c", "-O", "qcow2", "-o", "data_file=d.data", "src.qcow2", "d.qcow2");
    }

    @org.junit.jupiter.api.Test
    void infoDoesNotOpenTheDataFile() throws Exception {
        SideBySide s = source("info");
        s.same("convert", "-O", "qcow2", "-o", "data_file=d.data", "src.qcow2", "d.qcow2");
        java.nio.file.Files.delete(s.qemuDir().resolve("d.data"));
        java.nio.file.Files.delete(s.qimgDir().resolve("d.data"));
        s.same("info", "d.qcow2");
        s.same("info", "--output=json", "d.qcow2");
    }

    private static SideBySide source(String name) {
        SideBySide s = new SideBySide(dir.resolve(name));
        s.qemuBoth("create", "-q", "-f", "qcow2", "src.qcow2", "5M");
        s.ioBoth("src.qcow2", "qcow2", "write -P 0x11 0 1M", "write -P 0x22 2M 64k", "write -z 3M 64k",
                "write -P 0x33 4M 100k");
        return s;
    }
}
