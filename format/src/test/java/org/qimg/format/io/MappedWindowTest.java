package org.qimg.format.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedWindowTest {
    private static final int SIZE = 2 * MappedWindow.WINDOW_BYTES + 12345;

    @TempDir
    Path dir;

    private Path file;
    private byte[] content;

    @BeforeEach
    void file() throws IOException {
        assumeThat(MappedWindow.available()).as("sun.misc.Unsafe.invokeCleaner").isTrue();
        content = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            content[i] = (byte) (i * 31 + (i >>> 16));
        }
        file = dir.resolve("f.bin");
        Files.write(file, content);
    }

    private void assertSame(ByteBuffer view, long at, int len) {
        assertThat(view).as("view at %d", at).isNotNull();
        assertThat(view.remaining()).isEqualTo(len);
        assertThat(view.mismatch(ByteBuffer.wrap(content, (int) at, len))).as("first differing byte").isEqualTo(-1);
    }

    @Test
    void viewsAnywhereInTheFileHoldItsBytes() throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); MappedWindow w = new MappedWindow()) {
            long[] starts = {0, 4096, MappedWindow.WINDOW_BYTES - 100, MappedWindow.WINDOW_BYTES + 7, 5, SIZE - 1000};
            for (long at : starts) {
                int len = (int) Math.min(1 << 20, SIZE - at);
                assertSame(w.view(ch, at, len), at, len);
            }
            // a whole window's worth from an unaligned start, and the file's very end
            assertSame(w.view(ch, 3, MappedWindow.WINDOW_BYTES), 3, MappedWindow.WINDOW_BYTES);
            assertSame(w.view(ch, SIZE - 1, 1), SIZE - 1, 1);
            assertSame(w.view(ch, SIZE, 0), SIZE, 0);
        }
    }

    @Test
    void rangesOutsideTheFileOrLongerThanAWindowAreNotMapped() throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); MappedWindow w = new MappedWindow()) {
            assertThat(w.view(ch, SIZE - 10, 11)).isNull();
            assertThat(w.view(ch, -1, 10)).isNull();
            assertThat(w.view(ch, Long.MAX_VALUE - 5, 10)).isNull();
            assertThat(w.view(ch, 0, MappedWindow.WINDOW_BYTES + 1)).isNull();
            // and the window still works afterwards
            assertSame(w.view(ch, 100, 200), 100, 200);
        }
    }

    @Test
    void aFileThatShrankIsNotMappedPastItsNewEnd() throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             MappedWindow w = new MappedWindow()) {
            ch.truncate(1 << 20);
            assertThat(w.view(ch, 2 << 20, 4096)).as("past the new end: read() reports it").isNull();
            assertSame(w.view(ch, 4096, 4096), 4096, 4096);
        }
    }

    @Test
    void closingUnmapsAndTheWindowMapsAgainOnDemand() throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedWindow w = new MappedWindow();
            assertSame(w.view(ch, 10, 100), 10, 100);
            w.close();
            w.close();
            assertSame(w.view(ch, 20, 100), 20, 100);
            w.close();
        }
    }
}
