package org.qimg.format.qcow2.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.CompressedPayload;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLayout;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.testutil.Qemu;

/**
 * What {@link DiskImage#layout()}, {@link DiskImage#compressedPayload(long)} and {@link Extent#compressed()}
 * tell callers that do not know the format: raw and qcow2, compressed clusters and external data files.
 */
class DiskImageLayoutTest {
    private static final int CS = TinyQcow2.CLUSTER;

    @TempDir
    Path dir;

    @Test
    void rawIsFlatAndHasNoPayloads() throws IOException {
        Path p = dir.resolve("disk.raw");
        Files.write(p, new byte[3 * CS]);
        try (DiskImage d = ImageFormats.open(p, "raw")) {
            assertThat(d.layout()).isEqualTo(ImageLayout.FLAT);
            assertThat(d.layout().flat()).isTrue();
            assertThat(d.layout().hasExternalDataFile()).isFalse();
            assertThat(d.layout().compression()).isNull();
            assertThat(d.compressedPayload(CS)).isEmpty();
            assertThat(d.extentAt(0, 3 * CS).compressed()).isFalse();
        }
    }

    @Test
    void qcow2LayoutComesFromItsHeader() throws IOException {
        Path p = new TinyQcow2().write(dir.resolve("tiny.qcow2"));
        try (DiskImage d = ImageFormats.open(p, null)) {
            // 4 KiB clusters, 8-byte L2 entries: one L2 table maps 512 clusters
            assertThat(d.layout()).isEqualTo(new ImageLayout(CS, 512L * CS, CompressionType.ZLIB, null));
            assertThat(d.layout().flat()).isFalse();
            assertThat(d.layout().hasExternalDataFile()).isFalse();
        }
    }

    @Test
    void compressedClusterIsACompressedExtentWithAPayload() throws IOException {
        TinyQcow2 t = new TinyQcow2();
        Path p = t.write(dir.resolve("tiny.qcow2"));
        try (DiskImage d = ImageFormats.open(p, null)) {
            assertThat(d.extentAt(CS, 4 * CS)).isEqualTo(new Extent(CS, CS, Extent.Status.DATA, -1, true));
            // the cluster's payload, whichever byte of it is asked for
            long sectors = (TinyQcow2.COMPRESSED + t.compressedLength - 1) / 512 - TinyQcow2.COMPRESSED / 512;
            CompressedPayload expected = new CompressedPayload(CS, p, TinyQcow2.COMPRESSED, (int) (sectors + 1) * 512);
            assertThat(d.compressedPayload(CS)).contains(expected);
            assertThat(d.compressedPayload(2L * CS - 1)).contains(expected);
            // plain data, the zero cluster and unallocated clusters have none
            assertThat(d.compressedPayload(0)).isEmpty();
            assertThat(d.compressedPayload(2L * CS)).isEmpty();
            assertThat(d.compressedPayload(TinyQcow2.GUEST_SIZE - 1)).isEmpty();
            assertThat(inflate(expected, d.layout())).isEqualTo(t.guestCluster1);
        }
    }

    @Test
    void aClusterHasAPayloadExactlyWhenItsExtentIsCompressed() throws IOException {
        Path p = new TinyQcow2().write(dir.resolve("tiny.qcow2"));
        try (DiskImage d = ImageFormats.open(p, null)) {
            for (long off = 0; off < 8L * CS; off += CS) {
                Extent e = d.extentAt(off, CS);
                Optional<CompressedPayload> payload = d.compressedPayload(off);
                assertThat(payload.isPresent()).as("cluster at %d", off).isEqualTo(e.compressed());
            }
        }
    }

    @Test
    void compressedPayloadOutsideTheImageIsAnError() throws IOException {
        Path p = new TinyQcow2().write(dir.resolve("tiny.qcow2"));
        try (DiskImage d = ImageFormats.open(p, null)) {
            assertThatThrownBy(() -> d.compressedPayload(TinyQcow2.GUEST_SIZE)).isInstanceOf(ImageException.class)
                    .hasMessageContaining("outside the image");
            assertThatThrownBy(() -> d.compressedPayload(-1)).isInstanceOf(ImageException.class);
        }
    }

    @Test
    void externalDataFileIsNamedAsTheHeaderNamesIt() throws IOException {
        TinyQcow2 t = new TinyQcow2().dataFile("tiny.data");
        Path p = t.write(dir.resolve("tiny.qcow2"));
        // the data file holds guest cluster 0 at the host offset the L2 entry names
        t.write(dir.resolve("tiny.data"));
        try (DiskImage d = ImageFormats.open(p, null)) {
            ImageLayout l = d.layout();
            assertThat(l.hasExternalDataFile()).isTrue();
            assertThat(l.externalDataFile()).isEqualTo("tiny.data");
            assertThat(l.clusterSize()).isEqualTo(CS);
            Extent e = d.extentAt(0, CS);
            assertThat(e.hostOffset()).isEqualTo(TinyQcow2.DATA);
            assertThat(e.compressed()).isFalse();
            assertThat(d.compressedPayload(CS)).isEmpty();
        }
    }

    @Test
    void snapshotViewsShareTheImagesLayout() throws IOException {
        Qemu.assumeInstalled();
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=64k", "s.qcow2", "1M");
        Qemu.img(dir, "snapshot", "-c", "one", "s.qcow2");
        try (DiskImage d = ImageFormats.open(dir.resolve("s.qcow2"), null);
             DiskImage v = d.openSnapshot("one")) {
            assertThat(v.layout()).isEqualTo(d.layout());
        }
    }

    @Test
    void extendedL2EntriesHalveTheTableSpanAndZstdIsTheCodec() throws IOException {
        Qemu.assumeInstalled();
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=64k,extended_l2=on,compression_type=zstd",
                "x.qcow2", "1M");
        try (DiskImage d = ImageFormats.open(dir.resolve("x.qcow2"), null)) {
            // 16-byte entries: a 64 KiB table maps 4096 clusters
            assertThat(d.layout()).isEqualTo(new ImageLayout(65536, 4096L * 65536, CompressionType.ZSTD, null));
        }
    }

    @Test
    void qemuCompressedClustersHavePayloadsOfTheirCodec() throws IOException {
        Qemu.assumeInstalled();
        Path raw = dir.resolve("in.raw");
        byte[] guest = new byte[4 * 65536];
        for (int i = 0; i < guest.length; i++) {
            guest[i] = (byte) ("layout".charAt(i % 6) + i / 65536);
        }
        Files.write(raw, guest);
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "in.raw", "c.qcow2");
        try (DiskImage d = ImageFormats.open(dir.resolve("c.qcow2"), null)) {
            Extent e = d.extentAt(0, guest.length);
            assertThat(e).isEqualTo(new Extent(0, guest.length, Extent.Status.DATA, -1, true));
            for (int c = 0; c < 4; c++) {
                CompressedPayload payload = d.compressedPayload(c * 65536L + 7).orElseThrow();
                assertThat(payload.guestOffset()).isEqualTo(c * 65536L);
                byte[] want = java.util.Arrays.copyOfRange(guest, c * 65536, (c + 1) * 65536);
                assertThat(inflate(payload, d.layout())).isEqualTo(want);
            }
        }
    }

    @Test
    void extentsAndLayoutsRejectImpossibleShapes() {
        assertThatThrownBy(() -> new Extent(0, 512, Extent.Status.ZERO, -1, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Extent(0, 512, Extent.Status.DATA, 4096, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ImageLayout(3000, 0, null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ImageLayout(4096, 2048, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ImageLayout(0, 0, CompressionType.ZLIB, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The cluster a payload expands to: qcow2's zlib payloads are raw deflate streams. */
    private static byte[] inflate(CompressedPayload p, ImageLayout layout) throws IOException {
        assertThat(layout.compression()).isEqualTo(CompressionType.ZLIB);
        ByteBuffer span = ByteBuffer.allocate(p.spanLength());
        try (FileChannel ch = FileChannel.open(p.file())) {
            while (span.hasRemaining() && ch.read(span, p.hostOffset() + span.position()) > 0) {
                // read to the end of the span
            }
        }
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(span.array(), 0, span.position());
            byte[] out = new byte[layout.clusterSize()];
            int n = inf.inflate(out);
            assertThat(n).isEqualTo(out.length);
            return out;
        } catch (java.util.zip.DataFormatException e) {
            throw new AssertionError(e);
        } finally {
            inf.end();
        }
    }
}
