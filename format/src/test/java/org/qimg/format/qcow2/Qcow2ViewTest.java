package org.qimg.format.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.io.MappedWindow;
import org.qimg.format.testutil.Qemu;

/** {@link DiskImage#view}: in place exactly where the bytes are stored verbatim, else null (read instead). */
class Qcow2ViewTest {
    @TempDir
    Path dir;

    private static ByteBuffer read(DiskImage d, long at, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        d.read(at, b);
        return b.flip();
    }

    @Test
    void plainDataMapsAsReadGivesItAndEverythingElseIsRead() throws IOException {
        Qemu.assumeInstalled();
        Path base = dir.resolve("base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", base.toString(), "8M");
        Qemu.io(base, "qcow2", "write -P 0x61 6M 64k");
        Path p = dir.resolve("v.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", p.toString(), "8M");
        // guest 1M..1M+192k written backwards: three clusters whose host order runs against guest order
        Qemu.io(p, "qcow2", "write -P 0x11 1216k 64k", "write -P 0x12 1152k 64k", "write -P 0x13 1M 64k",
                "write -P 0x14 2M 256k", "write -z 3M 64k");
        Path z = dir.resolve("z.qcow2");
        Qemu.img(dir, "convert", "-c", "-O", "qcow2", p.toString(), z.toString());
        try (DiskImage d = ImageFormats.open(p, null); MappedWindow w = new MappedWindow()) {
            ByteBuffer v = d.view(2L << 20, 256 << 10, w);
            assertThat(v).as("contiguous data clusters").isNotNull();
            assertThat(v.mismatch(read(d, 2L << 20, 256 << 10))).isEqualTo(-1);
            v = d.view((2L << 20) + 1000, 5000, w);
            assertThat(v.mismatch(read(d, (2L << 20) + 1000, 5000))).isEqualTo(-1);
            assertThat(d.view(1L << 20, 64 << 10, w).mismatch(read(d, 1L << 20, 64 << 10))).isEqualTo(-1);
            assertThat(d.view(1L << 20, 128 << 10, w)).as("clusters not contiguous in the file").isNull();
            assertThat(d.view(3L << 20, 4096, w)).as("zero cluster").isNull();
            assertThat(d.view(6L << 20, 4096, w)).as("in the backing file").isNull();
            assertThat(d.view(7L << 20, 4096, w)).as("unallocated").isNull();
            assertThat(d.view(8L << 20, 1, w)).as("past the end").isNull();
        }
        try (DiskImage d = ImageFormats.open(z, null); MappedWindow w = new MappedWindow()) {
            assertThat(d.view(2L << 20, 4096, w)).as("compressed cluster").isNull();
        }
    }
}
