package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.qimg.format.io.Positional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectWriteChannelTest {
    @TempDir
    Path dir;

    private static ByteBuffer aligned(byte[] content) {
        ByteBuffer b = Positional.alignedBuffer(content.length);
        b.put(content).flip();
        return b;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void mixedWritesLeaveExactlyWhatWasWrittenLast() throws IOException {
        Path file = dir.resolve("out");
        FileChannel plain = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileChannel ch = DirectWriteChannel.wrap(plain, file);
        assumeTrue(ch != plain, "this file system takes no O_DIRECT");
        byte[] expected = new byte[3 << 20];
        try (ch) {
            // a buffered header, then aligned clusters, then an unaligned tail from a heap buffer
            byte[] header = random(100, 1);
            ch.write(ByteBuffer.wrap(header), 0);
            System.arraycopy(header, 0, expected, 0, header.length);
            byte[] clusters = random(2 << 20, 2);
            ch.write(aligned(clusters), 1 << 20);
            System.arraycopy(clusters, 0, expected, 1 << 20, clusters.length);
            byte[] tail = random(777, 3);
            ch.write(ByteBuffer.wrap(tail), (3 << 20) - 777);
            System.arraycopy(tail, 0, expected, (3 << 20) - 777, tail.length);
            // an aligned rewrite of a range first written through the page cache must win
            byte[] first = random(65536, 4);
            ch.write(ByteBuffer.wrap(first), 65536);
            byte[] second = random(65536, 5);
            ch.write(aligned(second), 65536);
            System.arraycopy(second, 0, expected, 65536, second.length);
            // an aligned buffer at an unaligned file offset goes the buffered way
            byte[] odd = random(4096, 6);
            ch.write(aligned(odd), 4096 * 3 + 512);
            System.arraycopy(odd, 0, expected, 4096 * 3 + 512, odd.length);

            assertThat(((DirectWriteChannel) ch).directBytes()).as("the aligned writes bypassed the page cache")
                    .isEqualTo((2 << 20) + 65536);
            assertThat(ch.size()).isEqualTo(3 << 20);
            ByteBuffer back = ByteBuffer.allocate(65536);
            ch.read(back, 65536);
            assertThat(back.array()).as("read through the channel after a direct write").isEqualTo(second);
            ch.force(true);
        }
        assertThat(plain.isOpen()).isFalse();
        assertThat(Files.readAllBytes(file)).isEqualTo(expected);
    }
}
