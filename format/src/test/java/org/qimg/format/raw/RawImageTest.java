package org.qimg.format.raw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qimg.format.testutil.ImageAssertions.assertReadsAs;
import static org.qimg.format.testutil.ImageAssertions.ourMap;
import static org.qimg.format.testutil.ImageAssertions.qemuMap;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageFormats;
import org.qimg.format.testutil.QemuJson;
import org.qimg.format.testutil.Qemu;

class RawImageTest {
    @TempDir
    Path dir;

    /** 4 MiB + 100 bytes: holes, two data runs, and a last byte in the final partial sector. */
    private Path sparse() throws IOException {
        Path p = dir.resolve("s.raw");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength((4L << 20) + 100);
            f.seek(1L << 20);
            byte[] x = new byte[65536];
            Arrays.fill(x, (byte) 'x');
            f.write(x);
            f.seek(3L << 20);
            f.write(x, 0, 4096);
            f.seek((4L << 20) + 50);
            f.write('z');
        }
        return p;
    }

    @Test
    void holesAreZeroExtentsLikeQemuImgMap() throws IOException {
        Qemu.assumeInstalled();
        Path p = sparse();
        try (DiskImage d = ImageFormats.open(p, null)) {
            assertThat(d.virtualSize()).isEqualTo((4L << 20) + 512);
            assertThat(ourMap(d)).isEqualTo(qemuMap(p, "raw"));
            Extent e = d.extentAt(1L << 20, Long.MAX_VALUE);
            assertThat(e).isEqualTo(new Extent(1L << 20, 65536, Extent.Status.DATA, 1L << 20, false));
            assertThat(d.extentAt(0, 4096)).isEqualTo(new Extent(0, 4096, Extent.Status.ZERO, -1, false));
        }
    }

    @Test
    void readsMatchQemuAndSizesMatchQemuInfo() throws IOException {
        Qemu.assumeInstalled();
        Path p = sparse();
        byte[] oracle = Qemu.toRaw(p, "-f", "raw");
        try (DiskImage d = ImageFormats.open(p, "raw")) {
            assertReadsAs(d, oracle);
            @SuppressWarnings("unchecked")
            Map<String, Object> info = (Map<String, Object>) QemuJson.parse(
                    Qemu.img(dir, "info", "-f", "raw", "--output=json", p.toString()));
            assertThat(d.actualSize()).isEqualTo(info.get("actual-size"));
            assertThat(d.virtualSize()).isEqualTo(info.get("virtual-size"));
            assertThat(d.actualSize()).isLessThan(Files.size(p)); // sparse: st_blocks, not the length
        }
    }

    @Test
    void fullyAllocatedFileIsOneDataExtent() throws IOException {
        Path p = dir.resolve("full.raw");
        byte[] b = new byte[3 * 4096];
        Arrays.fill(b, (byte) 1);
        Files.write(p, b);
        try (DiskImage d = ImageFormats.open(p, "raw")) {
            assertThat(d.extentAt(0, Long.MAX_VALUE))
                    .isEqualTo(new Extent(0, b.length, Extent.Status.DATA, 0, false));
            assertThat(d.extentAt(100, 50)).isEqualTo(new Extent(100, 50, Extent.Status.DATA, 100, false));
        }
    }

    @Test
    void emptyFileHasNoExtents() throws IOException {
        Path p = dir.resolve("empty.raw");
        Files.write(p, new byte[0]);
        try (DiskImage d = ImageFormats.open(p, "raw")) {
            assertThat(d.virtualSize()).isZero();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> d.extentAt(0, 1)))
                    .isInstanceOf(org.qimg.format.ImageException.class);
        }
    }
}
