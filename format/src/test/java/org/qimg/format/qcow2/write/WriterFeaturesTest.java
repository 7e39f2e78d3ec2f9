package org.qimg.format.qcow2.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.ImageException;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

class WriterFeaturesTest {
    @TempDir
    Path dir;

    private static ByteBuffer filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void subclusterMaskAllocatesOnlyTheWrittenSubclustersOverTheBackingFile() throws Exception {
        Path base = dir.resolve("sbase.qcow2");
        assertThat(WriterTestSupport.run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "256k")
                .exitCode()).isZero();
        assertThat(WriterTestSupport.run("qemu-io", "-c", "write -P 0x55 0 256k", base.toString()).exitCode())
                .isZero();
        Path top = dir.resolve("stop.qcow2");
        Qcow2CreateOptions o = Qcow2CreateOptions.builder(256 << 10).apply("extended_l2=on")
                .backingFile("sbase.qcow2", "qcow2").build();
        ByteBuffer c0 = ByteBuffer.allocate(65536);
        for (int i = 0; i < 2048; i++) {
            c0.put(i, (byte) 0x11); // subcluster 0 (2 KiB) written
        }
        ByteBuffer c2 = ByteBuffer.allocate(65536);
        for (int i = 8192; i < 12288; i++) {
            c2.put(i, (byte) 0x22); // subclusters 4 and 5
        }
        try (FileChannel ch = FileChannel.open(top, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            Qcow2Writer w = Qcow2Writer.create(ch, top, o);
            assertThatThrownBy(() -> w.writePlain(0, c0.duplicate(), 0, true))
                    .isInstanceOf(IllegalArgumentException.class);
            w.writePlain(0, c0, 0b1, true);
            w.writePlain(2, c2, 0b11 << 4, true);
            w.finish();
            // the file ends after the last allocated subcluster of the last data cluster
            assertThat(w.fileLength() % 65536).isEqualTo(12288);
        }
        var check = WriterTestSupport.run("qemu-img", "check", top.toString());
        assertThat(check.exitCode()).as(check.out()).isZero();
        // unallocated subclusters read through to the backing file's 0x55
        byte[] all = new byte[256 << 10];
        Arrays.fill(all, (byte) 0x55);
        Arrays.fill(all, 0, 2048, (byte) 0x11);
        Arrays.fill(all, 2 * 65536 + 8192, 2 * 65536 + 12288, (byte) 0x22);
        Path expect = dir.resolve("sexpect.raw");
        Files.write(expect, all);
        var cmp = WriterTestSupport.run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", expect.toString(),
                top.toString());
        assertThat(cmp.exitCode()).as(cmp.out()).isZero();
    }

    @Test
    void zeroFlagHidesTheBackingFile() throws Exception {
        Path base = dir.resolve("base.qcow2");
        assertThat(WriterTestSupport.run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "1M").exitCode())
                .isZero();
        assertThat(WriterTestSupport.run("qemu-io", "-c", "write -P 0x55 0 1M", base.toString()).exitCode()).isZero();
        for (String opts : new String[] {"", "extended_l2=on"}) {
            Path top = dir.resolve("top" + opts.length() + ".qcow2");
            Qcow2CreateOptions o = Qcow2CreateOptions.builder(1 << 20).apply(opts)
                    .backingFile("base.qcow2", "qcow2").build();
            try (FileChannel ch = FileChannel.open(top, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ)) {
                Qcow2Writer w = Qcow2Writer.create(ch, top, o);
                w.writePlain(2, filled(65536, 0x11));
                w.writeZero(5);
                w.writeZero(6);
                w.writePlain(9, filled(65536, 0x22));
                w.finish();
            }
            var check = WriterTestSupport.run("qemu-img", "check", top.toString());
            assertThat(check.exitCode()).as(check.out()).isZero();
            // expected guest content: 0x55 everywhere except clusters 2 (0x11), 5-6 (zero), 9 (0x22)
            Path expect = dir.resolve("expect.raw");
            byte[] all = new byte[1 << 20];
            Arrays.fill(all, (byte) 0x55);
            Arrays.fill(all, 2 * 65536, 3 * 65536, (byte) 0x11);
            Arrays.fill(all, 5 * 65536, 7 * 65536, (byte) 0);
            Arrays.fill(all, 9 * 65536, 10 * 65536, (byte) 0x22);
            Files.write(expect, all);
            var cmp = WriterTestSupport.run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", expect.toString(),
                    top.toString());
            assertThat(cmp.exitCode()).as(opts + ": " + cmp.out()).isZero();
        }
    }

    @Test
    void writesIntoMetadataPreallocatedImage() throws Exception {
        Path img = dir.resolve("pre.qcow2");
        Qcow2CreateOptions o = Qcow2CreateOptions.builder(3 << 20).apply("preallocation=metadata,cluster_size=4k")
                .build();
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            Qcow2Writer w = Qcow2Writer.create(ch, img, o);
            w.writePlain(1, filled(4096, 0x33));
            w.writeZero(2);
            w.writePlain(700, filled(4096, 0x44));
            w.finish();
        }
        var check = WriterTestSupport.run("qemu-img", "check", img.toString());
        assertThat(check.exitCode()).as(check.out()).isZero();
        byte[] all = new byte[3 << 20];
        Arrays.fill(all, 4096, 8192, (byte) 0x33);
        Arrays.fill(all, 700 * 4096, 701 * 4096, (byte) 0x44);
        Path expect = dir.resolve("expect.raw");
        Files.write(expect, all);
        var cmp = WriterTestSupport.run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", expect.toString(),
                img.toString());
        assertThat(cmp.exitCode()).as(cmp.out()).isZero();
    }

    @Test
    void rejectsOutOfOrderAndOutOfRangeClusters() throws Exception {
        Path img = dir.resolve("order.qcow2");
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            Qcow2Writer w = Qcow2Writer.create(ch, img, Qcow2CreateOptions.builder(1 << 20).build());
            w.writePlain(3, filled(65536, 1));
            assertThatThrownBy(() -> w.writePlain(3, filled(65536, 1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.writePlain(16, filled(65536, 1))).isInstanceOf(ImageException.class)
                    .hasMessageContaining("outside the image");
            assertThatThrownBy(() -> w.writePlain(5, filled(100, 1))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void hugeVirtualSizeNeedsLittleMemory() throws Exception {
        // 8 TiB at 64 KiB clusters: L1 of 16384 entries; writing clusters far apart keeps one L2 in memory.
        Path img = dir.resolve("huge.qcow2");
        long size = 8L << 40;
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            Qcow2Writer w = Qcow2Writer.create(ch, img, Qcow2CreateOptions.builder(size).build());
            for (long i = 0; i < w.clusterCount(); i += w.clusterCount() / 64) {
                w.writePlain(i, filled(65536, (int) (i % 250) + 1));
            }
            w.finish();
        }
        var check = WriterTestSupport.run("qemu-img", "check", img.toString());
        assertThat(check.exitCode()).as(check.out()).isZero();
        var info = WriterTestSupport.run("qemu-img", "info", img.toString());
        assertThat(info.out()).contains("virtual size: 8 TiB");
    }
}
