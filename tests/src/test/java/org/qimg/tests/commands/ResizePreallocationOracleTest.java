package org.qimg.tests.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.SideBySide;

/**
 * qcow2 {@code resize --preallocation=metadata|falloc|full} (and the metadata preallocation a
 * {@code data_file_raw} image gets when it grows) against qemu-img 7.2: the same messages and exit code, a
 * byte-identical image file (and data file) of the same length, the same {@code map}, {@code check} and
 * {@code info} as qemu-img sees them, and {@code qemu-img compare} finds qimg's result identical to qemu-img's.
 * The cases follow iotests 271 (extended L2, partial subclusters at both ends, a longer backing file whose data
 * the grown area must hide) and 244 (a raw data file).
 */
class ResizePreallocationOracleTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    /**
     * "MODE OLD NEW CREATE-OPTIONS SETUP": SETUP is {@code -} (a fresh image), {@code data} (written 0xee over
     * its whole old size) or {@code backing} (over a longer raw backing file full of 0xff).
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "metadata 503k 1013k extended_l2=on data", "falloc 503k 1013k extended_l2=on data",
        "full 503k 1013k extended_l2=on data", "metadata 503k 1013k extended_l2=on backing",
        "falloc 503k 1013k extended_l2=on backing", "full 503k 1013k extended_l2=on backing",
        "metadata 503k 1013k cluster_size=64k data", "falloc 503k 1013k cluster_size=64k backing",
        "metadata 100k 70M cluster_size=4k -", "falloc 100k 70M cluster_size=4k data",
        "full 1M 3M compat=0.10 -", "metadata 64k 65k extended_l2=on backing", "off 503k 1013k extended_l2=on backing",
        "off 64k 65k cluster_size=4k backing", "metadata 1M 300M cluster_size=2M,extended_l2=on data",
        "falloc 5M 9M refcount_bits=64,lazy_refcounts=on data"})
    void resizeMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("r-" + Integer.toHexString(spec.hashCode())));
        if (p[4].equals("backing")) {
            s.qemuBoth("create", "-q", "-f", "raw", "b.raw", "80M");
            s.ioBoth("b.raw", "raw", "write -P 0xff 0 80M");
            s.qemuBoth("create", "-q", "-f", "qcow2", "-o", p[3], "-F", "raw", "-b", "b.raw", "t.qcow2", p[1]);
        } else {
            s.qemuBoth("create", "-q", "-f", "qcow2", "-o", p[3], "t.qcow2", p[1]);
        }
        if (p[4].equals("data")) {
            s.ioBoth("t.qcow2", "qcow2", "write -P 0xee 0 " + p[1]);
        }
        s.same("resize", "--preallocation=" + p[0], "t.qcow2", p[2]);
        // falloc/full: a fully allocated area may cost one ext4 extent-tree block more or less
        s.identical("t.qcow2", p[0].equals("falloc") || p[0].equals("full") ? 8192 : 0);
        sameViews(s, "t.qcow2", p[0].equals("falloc") || p[0].equals("full"));
    }

    /** "CREATE-OPTIONS MODE": an image with an external data file grown by resize. */
    @ParameterizedTest
    @ValueSource(strings = {"data_file=t.data off", "data_file=t.data metadata", "data_file=t.data falloc",
        "data_file=t.data,data_file_raw=on off", "data_file=t.data,data_file_raw=on metadata",
        "data_file=t.data,extended_l2=on full"})
    void dataFileResizeMatchesQemuImg(String spec) {
        String[] p = spec.split(" ");
        SideBySide s = new SideBySide(dir.resolve("d-" + Integer.toHexString(spec.hashCode())));
        s.qemuBoth("create", "-q", "-f", "qcow2", "-o", p[0], "t.qcow2", "1M");
        s.ioBoth("t.qcow2", "qcow2", "write -P 0x2a 0 1M");
        s.same("resize", "--preallocation=" + p[1], "t.qcow2", "3M");
        s.identical("t.qcow2");
        s.identical("t.data", p[1].equals("falloc") || p[1].equals("full") ? 8192 : 0);
        sameViews(s, "t.qcow2", false);
    }

    /** {@code allocated}: the files' allocations may differ by an extent block, so info's actual-size too. */
    private static void sameViews(SideBySide s, String file, boolean allocated) {
        s.sameView(file, "map", "--output=json");
        s.sameView(file, "check");
        String q = new Qemu(s.qemuDir()).imgResult("info", "--output=json", file).stdout();
        String i = new Qemu(s.qimgDir()).imgResult("info", "--output=json", file).stdout();
        if (allocated) {
            q = q.replaceAll("\"actual-size\": \\d+", "");
            i = i.replaceAll("\"actual-size\": \\d+", "");
        }
        assertThat(i).as("qemu-img info --output=json of qimg's %s", file).isEqualTo(q);
        assertThat(new Qemu(s.qimgDir()).imgResult("check", file).exitCode()).as("qemu-img check").isZero();
        assertThat(new Qemu(s.qimgDir()).imgResult("compare", "-f", "qcow2", "-F", "qcow2", file,
                s.qemuDir().resolve(file).toString()).stdout()).isEqualTo("Images are identical.\n");
    }
}
