package org.qimg.format.qcow2.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qimg.format.testutil.ImageAssertions.assertReadsAs;
import static org.qimg.format.testutil.ImageAssertions.ourMap;
import static org.qimg.format.testutil.ImageAssertions.qemuMap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageFormats;
import org.qimg.format.qcow2.layout.HeaderLayout;
import org.qimg.format.testutil.Qemu;

/**
 * Images written by the real qemu-img / qemu-io, read by our reader and compared byte for byte with
 * {@code qemu-img convert -O raw}, and extent by extent with {@code qemu-img map}.
 */
class Qcow2OracleTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    private Path create(String name, String size, String options) throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", options, name, size);
        return dir.resolve(name);
    }

    /** Writes patterns and zeroes at assorted alignments, so every cluster kind shows up. */
    private static void scribble(Path img, int cluster) throws IOException {
        Qemu.io(img, "qcow2",
                "write -P 0x11 0 " + cluster,
                "write -P 0x22 " + (3L * cluster + 512) + " 1536",
                "write -P 0x33 " + (5L * cluster) + " " + (4L * cluster),
                "write -z " + (6L * cluster) + " " + cluster,
                "write -P 0x44 " + (12L * cluster - 512) + " 1024",
                "write -z " + (20L * cluster) + " " + (2L * cluster));
    }

    private static void assertMatchesQemu(Path img) throws IOException {
        byte[] oracle = Qemu.toRaw(img);
        try (DiskImage d = ImageFormats.open(img, null)) {
            assertThat(d.formatName()).isEqualTo("qcow2");
            assertReadsAs(d, oracle);
            if (d.backing().isEmpty()) {
                assertThat(ourMap(d)).as("extents of %s", img).isEqualTo(qemuMap(img, "qcow2"));
            }
        }
    }

    @Test
    void compat010() throws IOException {
        Path img = create("v2.qcow2", "4M", "compat=0.10");
        Qemu.io(img, "qcow2", "write -P 0x5a 0 100k", "write -P 0xa5 1M 64k", "write -z 1M 4k");
        try (Qcow2Image d = Qcow2Image.open(img, org.qimg.format.OpenOptions.DEFAULT)) {
            assertThat(d.header().version()).isEqualTo(2);
        }
        assertMatchesQemu(img);
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096, 65536, 2 << 20})
    void clusterSizes(int cluster) throws IOException {
        long size = Math.max(4L << 20, 24L * cluster);
        Path img = create("c" + cluster + ".qcow2", Long.toString(size), "compat=1.1,cluster_size=" + cluster);
        scribble(img, cluster);
        assertMatchesQemu(img);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 16, 64})
    void refcountWidths(int bits) throws IOException {
        Path img = create("r" + bits + ".qcow2", "2M", "refcount_bits=" + bits + ",cluster_size=4096");
        scribble(img, 4096);
        try (Qcow2Image d = Qcow2Image.open(img, org.qimg.format.OpenOptions.DEFAULT)) {
            assertThat(d.header().refcountBits()).isEqualTo(bits);
        }
        assertMatchesQemu(img);
    }

    @Test
    void extendedL2() throws IOException {
        Path img = create("ext.qcow2", "4M", "extended_l2=on,cluster_size=64k");
        // subclusters are 2 KiB: partial and unaligned writes, zeroes inside allocated clusters
        Qemu.io(img, "qcow2",
                "write -P 0x61 0 2k",
                "write -P 0x62 10k 5k",
                "write -z 64k 8k",
                "write -P 0x63 128k 64k",
                "write -z 132k 2k",
                "write -P 0x64 1M 100",
                "write -z 3M 1M");
        assertMatchesQemu(img);
        try (DiskImage d = ImageFormats.open(img, null)) {
            Extent e = d.extentAt(2048, 1 << 20);
            assertThat(e.status()).isEqualTo(Extent.Status.UNALLOCATED);
            assertThat(e.length()).isEqualTo(8192); // subclusters 1..4 (2k..10k)
            assertThat(d.extentAt(2048, 4096).length()).isEqualTo(4096);
        }
    }

    /** A guest image mixing compressible patterns, random (incompressible) data and zeros. */
    private Path rawSource(int mib) throws IOException {
        Path raw = dir.resolve("src.raw");
        byte[] b = new byte[mib << 20];
        Random r = new Random(7);
        for (int off = 0; off < b.length; off += 65536) {
            int kind = (off / 65536) % 5;
            for (int i = 0; i < 65536; i++) {
                b[off + i] = switch (kind) {
                    case 0 -> (byte) (i / 100);
                    case 1 -> (byte) r.nextInt();
                    case 2 -> 0;
                    case 3 -> (byte) (r.nextInt(4) + 'a');
                    default -> (byte) (i % 7 == 0 ? r.nextInt() : 0);
                };
            }
        }
        Files.write(raw, b);
        return raw;
    }

    @ParameterizedTest
    @ValueSource(strings = {"zlib", "zstd"})
    void compressed(String type) throws IOException {
        rawSource(3);
        for (String cs : List.of("4k", "64k", "2M")) {
            String name = "comp-" + type + "-" + cs + ".qcow2";
            Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o",
                    "compression_type=" + type + ",cluster_size=" + cs, "src.raw", name);
            Path img = dir.resolve(name);
            assertMatchesQemu(img);
            try (DiskImage d = ImageFormats.open(img, null)) {
                assertThat(d.info().formatSpecific()).containsEntry("compression-type", type);
                assertThat(org.qimg.format.testutil.ImageAssertions.extents(d))
                        .anyMatch(Extent::compressed);
            }
        }
    }

    @Test
    void compressedWithExtendedL2AndOddSize() throws IOException {
        rawSource(1);
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "extended_l2=on,cluster_size=32k",
                "src.raw", "cx.qcow2");
        Path img = dir.resolve("cx.qcow2");
        // uncompressed writes on top: subcluster allocation next to compressed clusters
        Qemu.io(img, "qcow2", "write -P 0x71 0 1k", "write -z 40k 2k", "write -P 0x72 100k 3k");
        assertMatchesQemu(img);
    }

    @ParameterizedTest
    @ValueSource(strings = {"65536", "2M"})
    void virtualSizeNotAMultipleOfTheCluster(String cluster) throws IOException {
        // 1000448 = 1954 sectors: the last cluster is partial and the file ends inside it
        Path img = create("odd" + cluster + ".qcow2", "1000448", "cluster_size=" + cluster);
        Qemu.io(img, "qcow2", "write -P 0x0d 0 4k", "write -P 0x0e 999424 1024");
        assertMatchesQemu(img);
    }

    @Test
    void backingChainOfThree() throws IOException {
        Path base = create("base.qcow2", "1M", "cluster_size=4096");
        Qemu.io(base, "qcow2", "write -P 0x01 0 1M");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2", "2M");
        Path mid = dir.resolve("mid.qcow2");
        Qemu.io(mid, "qcow2", "write -P 0x02 512k 256k", "write -P 0x03 1536k 64k");
        Files.createDirectories(dir.resolve("top"));
        // a relative backing name resolved against the overlay's directory
        Qemu.img(dir.resolve("top"), "create", "-q", "-f", "qcow2", "-b", "../mid.qcow2", "-F", "qcow2",
                "-o", "cluster_size=65536", "top.qcow2", "3M");
        Path top = dir.resolve("top/top.qcow2");
        Qemu.io(top, "qcow2", "write -z 0 64k", "write -z 600k 64k", "write -P 0x04 1M 4k", "write -z 2M 128k");
        assertMatchesQemu(top);
        try (DiskImage d = ImageFormats.open(top, null)) {
            assertThat(d.backing()).isPresent();
            assertThat(d.backing().get().backing()).isPresent();
            assertThat(d.backing().get().backing().get().backing()).isEmpty();
            assertThat(d.info().backingFilename()).isEqualTo("../mid.qcow2");
            assertThat(d.info().backingFormat()).isEqualTo("qcow2");
            assertThat(d.extentAt(0, 1 << 20).status()).isEqualTo(Extent.Status.ZERO);
            assertThat(d.extentAt(128 << 10, 1 << 20).status()).isEqualTo(Extent.Status.UNALLOCATED);
        }
    }

    @Test
    void backingWithoutFormatIsProbed() throws IOException {
        Path base = dir.resolve("base.raw");
        Files.write(base, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "ov.qcow2", "1M");
        Path ov = dir.resolve("ov.qcow2");
        // qemu-img 7.2 insists on -F: turn the backing format extension (0xe2792aca, right after the
        // 112-byte header) into an unknown type, which both readers skip, so both must probe the backing file
        byte[] b = Files.readAllBytes(ov);
        assertThat(java.nio.ByteBuffer.wrap(b).getInt(112)).isEqualTo(HeaderLayout.EXT_BACKING_FORMAT);
        java.nio.ByteBuffer.wrap(b).putInt(112, 0x7e57e57e);
        Files.write(ov, b);
        Qemu.io(ov, "qcow2", "write -P 0x09 4k 4k");
        assertMatchesQemu(ov);
        try (DiskImage d = ImageFormats.open(ov, null)) {
            assertThat(d.info().backingFormat()).isNull();
            assertThat(d.backing().orElseThrow().formatName()).isEqualTo("raw");
        }
    }

    @Test
    void internalSnapshot() throws IOException {
        Path img = create("snap.qcow2", "2M", "cluster_size=4096");
        Qemu.io(img, "qcow2", "write -P 0x10 0 1M");
        Qemu.img(dir, "snapshot", "-c", "first", "snap.qcow2");
        Qemu.io(img, "qcow2", "write -P 0x20 64k 64k", "write -z 512k 64k", "write -P 0x30 1M 512k");
        Qemu.img(dir, "snapshot", "-c", "second", "snap.qcow2");
        Qemu.io(img, "qcow2", "write -P 0x40 0 4k");
        byte[] first = Qemu.toRaw(img, "-l", "first");
        byte[] second = Qemu.toRaw(img, "-l", "snapshot.id=2");
        assertMatchesQemu(img);
        try (DiskImage d = ImageFormats.open(img, null)) {
            assertThat(d.snapshots()).extracting(s -> s.id() + ":" + s.name()).containsExactly("1:first", "2:second");
            assertThat(d.snapshots().get(0).virtualSize()).isEqualTo(2L << 20);
            try (DiskImage s1 = d.openSnapshot("first")) {
                assertReadsAs(s1, first);
            }
            try (DiskImage s2 = d.openSnapshot("2")) {
                assertReadsAs(s2, second);
            }
            assertThat(d.extentAt(0, 4096).status()).isEqualTo(Extent.Status.DATA); // still usable
        }
    }

    @Test
    void preallocationMetadata() throws IOException {
        Path img = create("pre.qcow2", "4M", "preallocation=metadata,cluster_size=65536");
        Qemu.io(img, "qcow2", "write -P 0x77 1M 64k", "write -z 2M 64k");
        assertMatchesQemu(img);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void externalDataFile(boolean raw) throws IOException {
        Path img = create("ext.qcow2", "2M", "data_file=ext.data,data_file_raw=" + (raw ? "on" : "off"));
        Qemu.io(img, "qcow2", "write -P 0x55 0 64k", "write -P 0x66 1M 100k", "write -z 1088k 4k");
        assertMatchesQemu(img);
        try (Qcow2Image d = Qcow2Image.open(img, org.qimg.format.OpenOptions.DEFAULT)) {
            assertThat(d.dataFile()).isEqualTo(dir.resolve("ext.data"));
            assertThat(d.info().formatSpecific()).containsEntry("data-file", "ext.data")
                    .containsEntry("data-file-raw", raw);
        }
    }

    @Test
    void manyThreadsReadTheSameBytes() throws Exception {
        rawSource(2);
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4k", "src.raw", "mt.qcow2");
        Path img = dir.resolve("mt.qcow2");
        byte[] oracle = Qemu.toRaw(img);
        try (DiskImage d = ImageFormats.open(img, "qcow2",
                new org.qimg.format.OpenOptions(true, List.of(), 3 * 4096))) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 6; t++) {
                int seed = t;
                threads.add(new Thread(() -> {
                    Random r = new Random(seed);
                    try {
                        for (int i = 0; i < 400; i++) {
                            int off = r.nextInt(oracle.length - 1);
                            int n = 1 + r.nextInt(Math.min(20000, oracle.length - off));
                            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n);
                            d.read(off, b);
                            assertThat(java.util.Arrays.mismatch(b.array(), 0, n, oracle, off, off + n))
                                    .as("read at %d+%d", off, n).isEqualTo(-1);
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            assertThat(errors).isEmpty();
            assertThat(((Qcow2Image) d).cachedTables()).isLessThanOrEqualTo(3);
        }
    }
}
