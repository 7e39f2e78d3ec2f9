package org.qimg.format.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.ImageException;

/** I/O errors through a {@link NamedChannel} name the file and the byte, in qemu-img's words. */
class NamedChannelTest {
    @TempDir
    Path dir;

    @Test
    void aFailedReadNamesTheFileAndTheByte() throws IOException {
        // reading a directory fails with EISDIR, a real I/O error from the kernel
        try (FileChannel ch = NamedChannel.open(dir, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(512), 4096))
                    .isInstanceOf(ImageException.class)
                    .hasMessage("'" + dir + "': error while reading at byte 4096: Is a directory")
                    .hasCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void aFailedPositionalReadThroughPositionalNamesTheByteWhereItFailed() throws IOException {
        try (FileChannel ch = NamedChannel.wrap(FileChannel.open(dir, StandardOpenOption.READ), dir)) {
            assertThatThrownBy(() -> Positional.readFully(ch, ByteBuffer.allocate(100), 123, dir))
                    .hasMessageContaining("error while reading at byte 123: ");
        }
    }

    @Test
    void aClosedChannelIsNotReportedAsADiskError() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[1024]);
        FileChannel ch = NamedChannel.open(f, StandardOpenOption.READ);
        ch.close();
        assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(16), 0)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void wrappingTwiceKeepsTheFirstName() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[16]);
        try (FileChannel ch = NamedChannel.open(f, StandardOpenOption.READ)) {
            assertThat(NamedChannel.wrap(ch, dir.resolve("other"))).isSameAs(ch);
        }
    }

    @Test
    void aDeviceChannelIsNeverTruncated() throws IOException {
        Path f = Files.write(dir.resolve("dev"), new byte[8192]);
        try (FileChannel ch = NamedChannel.wrapDevice(FileChannel.open(f, StandardOpenOption.READ,
                StandardOpenOption.WRITE), f)) {
            ch.truncate(100);
            assertThat(ch.size()).isEqualTo(8192);
        }
        try (FileChannel ch = NamedChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(100);
            assertThat(ch.size()).isEqualTo(100);
        }
    }
}
