package org.qimg.converters.ova;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.converters.convert.ConvertOptions;
import org.qimg.converters.convert.ConvertTarget;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageInfo;
import org.qimg.format.TargetRequest;
import org.qimg.format.ova.OvaManifest;

/**
 * The path {@code convert -O ova} takes (the convert pipeline into the scratch file through
 * {@link org.qimg.converters.convert.Converter#writeInto}, the counting sink, packing), with a compressed
 * qcow2 standing in for the streamOptimized VMDK: the disk member holds the source's data, the populated
 * size counts exactly the clusters written, the manifest matches the members, and a source that fails
 * mid-way leaves nothing behind. The real VMDK target is covered by the integration tests (tests/ova).
 */
class OvaConvertPipelineTest {
    private static final int CLUSTER = 65536;

    @TempDir
    Path dir;

    /** 4 MiB raw: random data in clusters 0, 1 and 16, zeros elsewhere (holes and written zeros). */
    private Path source() throws IOException {
        byte[] b = new byte[4 << 20];
        Random r = new Random(5);
        byte[] data = new byte[2 * CLUSTER + 100];
        r.nextBytes(data);
        System.arraycopy(data, 0, b, 0, data.length - 100);
        System.arraycopy(data, 0, b, 16 * CLUSTER + 7, 300);
        Path src = dir.resolve("src.raw");
        Files.write(src, b);
        return src;
    }

    private static OvaConvert qcow2Ova(OvaSettings s) throws ImageException {
        return new OvaConvert(s, new CountingTarget(ConvertTarget.create("qcow2",
                new TargetRequest(List.of("cluster_size=" + CLUSTER), null, null, true), "out.ova", 1), null));
    }

    private record Member(String name, byte[] data) {
    }

    private static List<Member> members(Path tar) throws IOException {
        List<Member> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                out.add(new Member(e.getName(), t.readAllBytes()));
            }
        }
        return out;
    }

    @Test
    void thePipelinesDiskIsPackedCountedAndListedInTheManifest() throws Exception {
        Path src = source();
        OvaSettings s = OvaSettings.parse(List.of(), "out", 0);
        OvaConvert ova = qcow2Ova(s);
        Path dst = dir.resolve("out.ova");
        try (DiskImage in = ImageFormats.open(src, "raw")) {
            ConvertOptions o = ConvertOptions.builder().target(ova.diskTarget()).threads(2).build();
            OvaWriter.Result r = ova.convert(List.of(in), dst, o, true);
            assertThat(r.disk()).isEqualTo(new DiskFacts(4 << 20, 3L * CLUSTER));
        }
        List<Member> m = members(dst);
        assertThat(m).extracting(Member::name).containsExactly("out.ovf", "out.mf", "out-disk1.vmdk");
        OvaManifest mf = OvaManifest.parse(m.get(1).data(), "out.mf");
        for (Member x : List.of(m.get(0), m.get(2))) {
            mf.check(x.name(), mf.entry(x.name()).orElseThrow().newDigest().digest(x.data()), "out.ova");
        }
        assertThat(new String(m.get(0).data(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("ovf:size=\"" + m.get(2).data().length + "\"")
                .contains("ovf:capacity=\"4194304\"").contains("ovf:populatedSize=\"196608\"");
        Path disk = dir.resolve("disk.qcow2");
        Files.write(disk, m.get(2).data());
        try (DiskImage a = ImageFormats.open(src, "raw"); DiskImage b = ImageFormats.open(disk, "qcow2")) {
            ByteBuffer x = ByteBuffer.allocate(4 << 20);
            ByteBuffer y = ByteBuffer.allocate(4 << 20);
            a.read(0, x);
            b.read(0, y);
            assertThat(y.array()).isEqualTo(x.array());
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("src.raw", "out.ova", "disk.qcow2");
        }
    }

    @Test
    void aSourceThatFailsMidwayLeavesNoOvaAndNoScratchFile() throws Exception {
        Path src = source();
        OvaConvert ova = qcow2Ova(OvaSettings.parse(List.of(), "out", 0));
        Path dst = dir.resolve("out.ova");
        try (DiskImage raw = ImageFormats.open(src, "raw")) {
            DiskImage failing = new Failing(raw, 16 * CLUSTER);
            ConvertOptions o = ConvertOptions.builder().target(ova.diskTarget()).threads(2).build();
            assertThatThrownBy(() -> ova.convert(List.of(failing), dst, o, false))
                    .isInstanceOf(ImageException.class).hasMessageContaining("simulated read failure");
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("src.raw");
        }
    }

    /**
     * Where the file system has no unnamed files (NFS, vfat) both the scratch disk and the OVA's temporary file
     * have hidden names: they are gone after a success, with {@code --verify}, and after a failure.
     */
    @Test
    void namedTemporaryFilesAreRemovedToo() throws Exception {
        System.setProperty("qimg.tempfile.named", "true");
        try {
            thePipelinesDiskIsPackedCountedAndListedInTheManifest();
            Files.delete(dir.resolve("out.ova"));
            Files.delete(dir.resolve("disk.qcow2"));
            aSourceThatFailsMidwayLeavesNoOvaAndNoScratchFile();
        } finally {
            System.clearProperty("qimg.tempfile.named");
        }
    }

    /** {@code inner}, whose reads that touch {@code failAt} fail. */
    private record Failing(DiskImage inner, long failAt) implements DiskImage {
        @Override
        public Path path() {
            return inner.path();
        }

        @Override
        public String formatName() {
            return inner.formatName();
        }

        @Override
        public long virtualSize() {
            return inner.virtualSize();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            if (offset <= failAt && failAt < offset + dst.remaining()) {
                throw new ImageException(path() + ": offset " + failAt + ": simulated read failure");
            }
            inner.read(offset, dst);
        }

        @Override
        public Extent extentAt(long offset, long maxLength) throws IOException {
            return inner.extentAt(offset, maxLength);
        }

        @Override
        public ImageInfo info() throws IOException {
            return inner.info();
        }

        @Override
        public long actualSize() throws IOException {
            return inner.actualSize();
        }

        @Override
        public void close() throws IOException {
            // the caller closes inner
        }
    }
}
