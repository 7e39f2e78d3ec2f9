package org.qimg.format.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;

/**
 * A raw disk in a gzip file, read through {@link StreamImage}: reads in any order (backwards ones start the
 * stream again) return the disk's bytes; blocks of zeros read as zeros; the size counts; a truncated file
 * names its offset; the member syntax is parsed as documented.
 */
class StreamImageTest {
    @TempDir
    Path dir;

    private byte[] disk() {
        // 5.5 MiB: data, a zero block, data, and a partial last sector
        byte[] b = new byte[5 * StreamImage.BLOCK + StreamImage.BLOCK / 2 + 100];
        new Random(7).nextBytes(b);
        java.util.Arrays.fill(b, StreamImage.BLOCK, 2 * StreamImage.BLOCK, (byte) 0);
        return b;
    }

    private Path gzip(byte[] content) throws IOException {
        Path p = dir.resolve("disk.raw.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(content);
        }
        return p;
    }

    @Test
    void readsInAnyOrderGiveTheDisk() throws IOException {
        byte[] content = disk();
        Path gz = gzip(content);
        try (DiskImage img = ImageFormats.open(gz, null)) {
            assertThat(img).isInstanceOf(ContainerImage.class);
            assertThat(img.formatName()).isEqualTo("raw");
            long size = (content.length + 511) / 512 * 512;
            assertThat(img.virtualSize()).isEqualTo(size);
            assertThat(img.info().format()).isEqualTo("gzip-compressed raw");
            // forwards, then backwards (from the cache), then a read across two blocks and the zero padding
            long[] offsets = {0, 3L * StreamImage.BLOCK, StreamImage.BLOCK + 4096, 100, size - 4096,
                    2L * StreamImage.BLOCK - 10};
            for (long off : offsets) {
                ByteBuffer got = ByteBuffer.allocate(4096);
                img.read(off, got);
                byte[] want = new byte[4096];
                int n = (int) Math.max(0, Math.min(4096, content.length - off));
                System.arraycopy(content, (int) off, want, 0, n);
                assertThat(got.array()).as("at " + off).isEqualTo(want);
            }
        }
    }

    @Test
    void aReadBehindTheCacheStartsTheStreamAgain() throws IOException {
        byte[] content = disk();
        Path gz = gzip(content);
        try (StreamImage img = new StreamImage(gz, new Sequential(gz, Codec.GZIP, null), content.length, 1)) {
            ByteBuffer late = ByteBuffer.allocate(512);
            img.read(4L * StreamImage.BLOCK, late);
            ByteBuffer early = ByteBuffer.allocate(512);
            img.read(0, early);
            assertThat(img.restarts()).isEqualTo(1);
            assertThat(early.array()).isEqualTo(java.util.Arrays.copyOf(content, 512));
            assertThat(late.array()).isEqualTo(java.util.Arrays.copyOfRange(content, 4 * StreamImage.BLOCK,
                    4 * StreamImage.BLOCK + 512));
        }
    }

    @Test
    void aTruncatedFileNamesItsOffset() throws IOException {
        byte[] content = disk();
        Path gz = gzip(content);
        byte[] all = Files.readAllBytes(gz);
        Path cut = dir.resolve("cut.raw.gz");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> ImageFormats.open(cut, null).close()).isInstanceOf(CorruptImageException.class)
                .hasMessageStartingWith(cut + ": offset ").hasMessageContaining("truncated gzip stream");
    }

    @Test
    void memberSyntax() {
        assertThat(Containers.memberSpec(Path.of("tar:a/b.ova::disk1.vmdk")))
                .contains(new Containers.MemberSpec(Path.of("a/b.ova"), "disk1.vmdk"));
        assertThat(Containers.memberSpec(Path.of("tar:x.tar::dir/a::b"))).contains(new Containers.MemberSpec(
                Path.of("x.tar"), "dir/a::b"));
        assertThat(Containers.memberSpec(Path.of("./tar:x.tar::m"))).isEmpty();
        assertThat(Containers.memberSpec(Path.of("tar:x.tar"))).isEmpty();
        assertThat(Containers.memberSpec(Path.of("tar:x.tar::"))).isEmpty();
        assertThat(Containers.memberSpec(Path.of("plain.raw"))).isEmpty();
    }
}
