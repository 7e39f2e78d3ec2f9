package org.qimg.format.qcow2.write;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

/**
 * {@link Qcow2Writer#writePlainBorrowed} must give the very file the copying {@code writePlain} gives, and
 * {@link Qcow2Writer#release} must end the borrow: whatever the caller writes into a released buffer never
 * reaches the image.
 */
class BorrowedWritesTest {
    private static final int CLUSTER = 16384;
    private static final int PER_BUFFER = 40;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"", "extended_l2=on"})
    void borrowedClustersGiveTheSameFileAsCopiedOnes(String opts) throws Exception {
        // clusters 0..199 in five buffers of 40; runs start at irregular places
        Random rnd = new Random(7);
        byte[][] content = new byte[200][];
        int[] mask = new int[200];
        boolean[] starts = new boolean[200];
        boolean[] skip = new boolean[200];
        for (int i = 0; i < 200; i++) {
            content[i] = new byte[CLUSTER];
            rnd.nextBytes(content[i]);
            // the third buffer writes nothing: the run pending from the second is still borrowed when the
            // second buffer is released, so release must copy it
            skip[i] = rnd.nextInt(7) == 0 || i / PER_BUFFER == 2;
            starts[i] = i == 0 || rnd.nextInt(5) == 0;
            mask[i] = rnd.nextInt(4) == 0 ? 0b1111 << 8 : -1;
        }
        Qcow2CreateOptions o = Qcow2CreateOptions.builder(200L * CLUSTER)
                .apply("cluster_size=" + CLUSTER + (opts.isEmpty() ? "" : "," + opts)).build();

        Path copied = dir.resolve("copied.qcow2");
        try (FileChannel ch = open(copied)) {
            Qcow2Writer w = Qcow2Writer.create(ch, copied, o);
            for (int i = 0; i < 200; i++) {
                if (!skip[i]) {
                    w.writePlain(i, ByteBuffer.wrap(content[i]), mask[i], starts[i]);
                }
            }
            w.finish();
        }

        Path borrowed = dir.resolve("borrowed.qcow2");
        try (FileChannel ch = open(borrowed)) {
            Qcow2Writer w = Qcow2Writer.create(ch, borrowed, o);
            ByteBuffer previous = null;
            for (int b = 0; b < 200 / PER_BUFFER; b++) {
                ByteBuffer buf = ByteBuffer.allocateDirect(PER_BUFFER * CLUSTER);
                for (int k = 0; k < PER_BUFFER; k++) {
                    int i = b * PER_BUFFER + k;
                    buf.put(k * CLUSTER, content[i]);
                    if (!skip[i]) {
                        w.writePlainBorrowed(i, buf, k * CLUSTER, mask[i], starts[i]);
                    }
                }
                // the previous buffer is handed back and scribbled over, as a converter reuses its slots
                if (previous != null) {
                    w.release(previous);
                    scribble(previous);
                }
                previous = buf;
            }
            w.finish();
            scribble(previous);
        }
        assertThat(Files.readAllBytes(borrowed)).isEqualTo(Files.readAllBytes(copied));
        var check = WriterTestSupport.run("qemu-img", "check", borrowed.toString());
        assertThat(check.exitCode()).as(check.out()).isZero();
    }

    private static void scribble(ByteBuffer b) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) 0xEE);
        }
    }

    private static FileChannel open(Path p) throws java.io.IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }
}
