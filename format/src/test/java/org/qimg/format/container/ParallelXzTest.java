package org.qimg.format.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

class ParallelXzTest {
    @TempDir
    Path dir;

    /** A file of {@code blocks} xz blocks of 1 MiB each, block i filled with a pattern of i. */
    private Path multiBlock(int blocks) throws IOException {
        Path f = dir.resolve("m.xz");
        byte[] b = new byte[1 << 20];
        Random r = new Random(7);
        try (OutputStream o = Files.newOutputStream(f); XZOutputStream xz = new XZOutputStream(o, new LZMA2Options(0))) {
            for (int i = 0; i < blocks; i++) {
                r.nextBytes(b);
                b[0] = (byte) i;
                xz.write(b);
                xz.endBlock();
            }
        }
        return f;
    }

    @Test
    void closingWhileBlocksAreStillDecodedAheadNeverFails() throws IOException {
        Path f = multiBlock(6);
        UncompressedSize.XzIndex index = UncompressedSize.xzIndex(f);
        assertThat(index.blocks()).isEqualTo(6);
        // read the first bytes (as a probe does) and close at once, with decoders busy on later blocks: the
        // readers they own must not be closed under them
        for (int round = 0; round < 5; round++) {
            ParallelXz in = ParallelXz.open(f, index, 2);
            assertThat(in.read()).isEqualTo(0);
            in.close();
            assertThat(in.decodersStopped()).as("no decoder runs once close() returns").isTrue();
        }
    }

    @Test
    void readsEveryBlockInOrder() throws IOException {
        Path f = multiBlock(5);
        UncompressedSize.XzIndex index = UncompressedSize.xzIndex(f);
        try (ParallelXz in = ParallelXz.open(f, index, 2)) {
            byte[] all = in.readAllBytes();
            assertThat(all).hasSize(5 << 20);
            for (int i = 0; i < 5; i++) {
                assertThat(all[i << 20]).isEqualTo((byte) i);
            }
        }
    }
}
