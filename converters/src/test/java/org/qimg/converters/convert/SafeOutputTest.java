package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.ImageException;
import org.qimg.format.io.Positional;

/** The temporary file's life: unnamed while written, named only when sealed, gone unless committed. */
class SafeOutputTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theFileHasNoNameUntilSealedAndReplacesTheDestinationOnCommit() throws Exception {
        Files.write(dir.resolve("dst.img"), new byte[] {1, 2, 3});
        try (SafeOutput out = SafeOutput.create(dir.resolve("dst.img"), false, List.of())) {
            out.channel().write(ByteBuffer.wrap(new byte[] {9, 9}), 0);
            assertThat(names()).as("O_TMPFILE on this file system").containsExactly("dst.img");
            assertThat(Files.size(out.tempFile())).isEqualTo(2);
            Path sealed = out.seal();
            assertThat(sealed.getParent()).isEqualTo(dir.toRealPath());
            assertThat(sealed.getFileName().toString()).matches("\\.dst\\.img\\.qimg-[0-9a-f]{12}\\.tmp");
            assertThat(Files.readAllBytes(sealed)).containsExactly(9, 9);
            assertThat(Files.readAllBytes(dir.resolve("dst.img"))).containsExactly(1, 2, 3);
            out.commit();
        }
        assertThat(names()).containsExactly("dst.img");
        assertThat(Files.readAllBytes(dir.resolve("dst.img"))).containsExactly(9, 9);
    }

    @Test
    void closingWithoutCommitRemovesEvenASealedFile() throws Exception {
        try (SafeOutput out = SafeOutput.create(dir.resolve("new.img"), true, List.of())) {
            out.channel().write(ByteBuffer.wrap(new byte[] {1}), 0);
            out.seal();
            assertThat(names()).hasSize(1);
        }
        assertThat(names()).isEmpty();
    }

    @Test
    void durableOutputStillWritesAroundThePageCache() throws Exception {
        try (SafeOutput out = SafeOutput.create(dir.resolve("new.img"), true, List.of())) {
            assumeTrue(out.channel() instanceof DirectWriteChannel, "this file system takes no O_DIRECT");
            ByteBuffer b = Positional.alignedBuffer(1 << 16);
            b.limit(1 << 16);
            out.channel().write(b, 0);
            assertThat(((DirectWriteChannel) out.channel()).directBytes()).isEqualTo(1 << 16);
            out.commit();
        }
        assertThat(Files.size(dir.resolve("new.img"))).isEqualTo(1 << 16);
    }

    @Test
    void aBareSystemErrorGetsTheDestinationsNameAndSaysItIsUnchanged() throws Exception {
        Files.write(dir.resolve("dst.img"), new byte[1]);
        try (SafeOutput out = SafeOutput.create(dir.resolve("dst.img"), false, List.of())) {
            IOException e = out.failed(new IOException("No space left on device"));
            assertThat(e).isInstanceOf(ImageException.class).hasMessage("'" + dir.resolve("dst.img")
                    + "': No space left on device (the destination was left unchanged)");
            ImageException corrupt = new org.qimg.format.CorruptImageException("src", 0, "bad");
            assertThat(out.failed(corrupt)).isSameAs(corrupt);
        }
    }

    @Test
    void aNonRegularDestinationIsNotReplaced() throws Exception {
        Files.createDirectories(dir.resolve("d"));
        assertThatThrownBy(() -> SafeOutput.create(dir.resolve("d"), false, List.of()))
                .hasMessage("Could not create '" + dir.resolve("d") + "': Is a directory");
        assertThat(names()).containsExactly("d");
    }
}
