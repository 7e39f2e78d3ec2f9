package org.qimg.format.qcow2.read;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageInfo;
import org.qimg.format.testutil.Qemu;
import org.qimg.format.testutil.QemuJson;

/** {@code info()} and {@code actualSize()} against {@code qemu-img info --output=json}, key order included. */
class Qcow2InfoTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void qemu() {
        Qemu.assumeInstalled();
    }

    @SuppressWarnings("unchecked")
    private void assertInfoMatchesQemu(Path img) throws IOException {
        Map<String, Object> q = (Map<String, Object>) QemuJson.parse(
                Qemu.img(dir, "info", "--output=json", img.toAbsolutePath().toString()));
        try (DiskImage d = ImageFormats.open(img.toAbsolutePath(), null)) {
            ImageInfo i = d.info();
            assertThat(i.format()).isEqualTo(q.get("format"));
            assertThat(i.virtualSize()).isEqualTo(q.get("virtual-size"));
            assertThat((long) i.clusterSize()).isEqualTo(q.get("cluster-size"));
            assertThat(i.dirty()).isEqualTo(q.get("dirty-flag"));
            assertThat(i.backingFilename()).isEqualTo(q.get("backing-filename"));
            assertThat(i.fullBackingFilename()).isEqualTo(q.get("full-backing-filename"));
            assertThat(i.backingFormat()).isEqualTo(q.get("backing-filename-format"));
            Map<String, Object> fs = (Map<String, Object>) q.get("format-specific");
            assertThat(i.formatSpecificType()).isEqualTo(fs.get("type"));
            Map<String, Object> data = (Map<String, Object>) fs.get("data");
            Object ours = normalize(i.formatSpecific());
            assertThat(ours).isEqualTo(data);
            assertThat(new ArrayList<>(((Map<String, Object>) ours).keySet())).as("key order")
                    .containsExactlyElementsOf(data.keySet());
            assertThat(d.actualSize()).as("actual-size").isEqualTo(q.get("actual-size"));
        }
    }

    /** Integers as Longs, as the JSON reader gives them; maps and lists recursively, order kept. */
    @SuppressWarnings("unchecked")
    private static Object normalize(Object o) {
        if (o instanceof Integer n) {
            return n.longValue();
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, v) -> out.put(k, normalize(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            return l.stream().map(Qcow2InfoTest::normalize).toList();
        }
        return o;
    }

    private Path create(String name, String options, String size) throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", options, name, size);
        return dir.resolve(name);
    }

    @Test
    void plainV2AndV3() throws IOException {
        assertInfoMatchesQemu(create("v2.qcow2", "compat=0.10", "3M"));
        Path v3 = create("v3.qcow2", "compat=1.1,cluster_size=4k", "5M");
        Qemu.io(v3, "qcow2", "write -P 1 0 1M");
        assertInfoMatchesQemu(v3);
    }

    @Test
    void featureFlags() throws IOException {
        assertInfoMatchesQemu(create("x.qcow2",
                "extended_l2=on,compression_type=zstd,lazy_refcounts=on,refcount_bits=1", "1M"));
        assertInfoMatchesQemu(create("r64.qcow2", "refcount_bits=64,cluster_size=512", "1M"));
    }

    @Test
    void externalDataFile() throws IOException {
        assertInfoMatchesQemu(create("raw.qcow2", "data_file=raw.data,data_file_raw=on", "1M"));
        Path d = create("nonraw.qcow2", "data_file=nonraw.data", "1M");
        Qemu.io(d, "qcow2", "write -P 3 0 128k");
        assertInfoMatchesQemu(d);
    }

    @Test
    void backingFiles() throws IOException {
        create("base.qcow2", "cluster_size=64k", "1M");
        Files.createDirectories(dir.resolve("sub"));
        Qemu.img(dir.resolve("sub"), "create", "-q", "-f", "qcow2", "-b", "../base.qcow2", "-F", "qcow2", "ov.qcow2");
        assertInfoMatchesQemu(dir.resolve("sub/ov.qcow2"));
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", dir.resolve("base.qcow2").toString(), "-F", "qcow2",
                "abs.qcow2");
        assertInfoMatchesQemu(dir.resolve("abs.qcow2"));
        // version 2 header (72 bytes) followed by the backing format extension and the name
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.qcow2", "-F", "qcow2",
                "v2ov.qcow2");
        assertInfoMatchesQemu(dir.resolve("v2ov.qcow2"));
    }

    @Test
    void bitmaps() throws IOException {
        Path b = create("bm.qcow2", "cluster_size=64k", "4M");
        Qemu.img(dir, "bitmap", "--add", "bm.qcow2", "first");
        Qemu.img(dir, "bitmap", "--add", "-g", "1M", "--disable", "bm.qcow2", "second");
        assertInfoMatchesQemu(b);
    }

    @Test
    void dirtyAndCorruptBits() throws IOException {
        Path d = create("dirty.qcow2", "lazy_refcounts=on", "1M");
        // qemu-io aborts with lazy refcounts pending: the dirty bit (incompatible bit 0) stays set
        ProcessBuilder pb = new ProcessBuilder("qemu-io", "-c", "write -P 7 0 64k", "-c", "abort", "dirty.qcow2")
                .directory(dir.toFile()).redirectErrorStream(true);
        try {
            Process p = pb.start();
            p.getInputStream().readAllBytes();
            p.waitFor();
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        try (Qcow2Image img = Qcow2Image.open(d, org.qimg.format.OpenOptions.DEFAULT)) {
            assertThat(img.info().dirty()).isTrue();
        }
        assertInfoMatchesQemu(d);

        Path c = create("corrupt.qcow2", "cluster_size=64k", "1M");
        Qemu.io(c, "qcow2", "write -P 9 0 64k");
        byte[] bytes = Files.readAllBytes(c);
        bytes[79] |= 2; // incompatible_features (bytes 72..79, big-endian): bit 1 = corrupt
        Files.write(c, bytes);
        assertInfoMatchesQemu(c);
        try (DiskImage img = ImageFormats.open(c, null)) {
            assertThat(img.info().formatSpecific()).containsEntry("corrupt", true);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(65536);
            img.read(0, buf); // read-only use of a corrupt-marked image is allowed
            assertThat(buf.array()[100]).isEqualTo((byte) 9);
        }
    }
}
