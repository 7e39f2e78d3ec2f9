package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * {@code qimg measure} of sources with holes and zero clusters equals {@code qemu-img measure}: holes of a
 * sparse raw file (SEEK_DATA/SEEK_HOLE) and zero clusters of a qcow2 need no space, data does.
 */
class MeasureSparseTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void sources() throws Exception {
        // 40 MiB sparse raw: data at 0 (4k), 3M (1M + 512, not cluster aligned), 20M (64k), a tail sector
        Proc.ok(dir, "truncate", "-s", "41943552", "sparse.raw");
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 1 0 4k", "-c", "write -P 2 3M 1049088",
                "-c", "write -P 3 20M 64k", "-c", "write -P 4 41943040 512", "sparse.raw");
        // qcow2 with data, zero clusters (preallocated and not) and unallocated space
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "zeros.qcow2", "16M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 5 0 100k", "-c", "write -P 6 4M 2M",
                "-c", "write -z 5M 512k", "-c", "write -z 8M 4M", "-c", "write -P 7 15M 4k", "zeros.qcow2");
        // overlay whose zero clusters hide its backing file's data
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "zeros.qcow2", "-F", "qcow2",
                "overlay.qcow2");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -z 4M 1M", "-c", "write -P 8 12M 64k",
                "overlay.qcow2");
    }

    @ParameterizedTest(name = "measure {0} {1}")
    @CsvSource(delimiter = '|', value = {
        "sparse.raw | -O qcow2",
        "sparse.raw | -O qcow2 -o cluster_size=2M",
        "sparse.raw | -O qcow2 -o cluster_size=512",
        "sparse.raw | --output=json -O qcow2 -o extended_l2=on",
        "sparse.raw | -O raw",
        "zeros.qcow2 | -O qcow2",
        "zeros.qcow2 | -O qcow2 -o cluster_size=4k",
        "zeros.qcow2 | --output=json -O qcow2 -o cluster_size=2M",
        "overlay.qcow2 | -O qcow2",
        "overlay.qcow2 | --output=json -O qcow2 -o cluster_size=1k",
    })
    void sameAsQemuImg(String file, String options) throws Exception {
        String[] opts = options.split(" ");
        String[] args = new String[opts.length + 2];
        args[0] = "measure";
        System.arraycopy(opts, 0, args, 1, opts.length);
        args[args.length - 1] = dir.resolve(file).toString();
        String[] qemu = new String[args.length + 1];
        qemu[0] = "qemu-img";
        System.arraycopy(args, 0, qemu, 1, args.length);
        String expected = Proc.ok(dir, qemu);
        ProcResult r = Qimg.inProcess(args);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(expected);
        if (!options.contains("raw")) {
            // fully-allocated minus required is the guest space found free: every source has more than
            // 4 MiB of holes / zero clusters, which must not have been counted
            assertThat(number(expected, "fully") - number(expected, "required")).isGreaterThan(4L << 20);
        }
    }

    private static long number(String measureOutput, String key) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(key + "[^0-9]*(\\d+)").matcher(measureOutput);
        assertThat(m.find()).as(measureOutput).isTrue();
        return Long.parseLong(m.group(1));
    }
}
