package org.qimg.converters.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashingChannelTest {
    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private FileChannel open(String name) throws Exception {
        return FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    private byte[] sha256(String name) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(name)));
    }

    @Test
    void appendsGapsAndATailOfZerosGiveTheFilesDigest() throws Exception {
        try (FileChannel f = open("a")) {
            HashingChannel h = new HashingChannel(f, MessageDigest.getInstance("SHA-256"));
            h.write(ByteBuffer.wrap(random(1000, 1)));              // relative, at 0
            h.write(ByteBuffer.wrap(random(4096, 2)), 1000);        // positional, appending
            h.write(ByteBuffer.wrap(random(512, 3)), 200_000);      // a hole before it
            f.truncate(300_000);
            f.write(ByteBuffer.wrap(new byte[1]), 299_999);         // the file grows past the last write
            assertThat(h.sequential()).isTrue();
            assertThat(h.digest(f.size())).hasValueSatisfying(d -> {
                try {
                    assertThat(d).isEqualTo(sha256("a"));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    @Test
    void aWriteBackIntoDigestedBytesGivesTheDigestUp() throws Exception {
        try (FileChannel f = open("b")) {
            HashingChannel h = new HashingChannel(f, MessageDigest.getInstance("SHA-256"));
            h.write(ByteBuffer.wrap(random(8192, 4)), 0);
            h.write(ByteBuffer.wrap(new byte[512]), 0); // a header rewritten at the end, as some writers do
            assertThat(h.sequential()).isFalse();
            assertThat(h.digest(f.size())).isEmpty();
        }
    }

    @Test
    void truncatingBelowTheDigestedBytesGivesTheDigestUpAndCloseLeavesTheFileOpen() throws Exception {
        try (FileChannel f = open("c")) {
            HashingChannel h = new HashingChannel(f, MessageDigest.getInstance("SHA-256"));
            h.write(ByteBuffer.wrap(random(8192, 5)), 0);
            h.truncate(100);
            assertThat(h.digest(f.size())).isEmpty();
            h.close();
            assertThat(f.isOpen()).isTrue();
            assertThat(f.size()).isEqualTo(100);
        }
    }

    @Test
    void withoutADigestNothingIsDigested() throws Exception {
        try (FileChannel f = open("d")) {
            HashingChannel h = new HashingChannel(f, null);
            h.write(ByteBuffer.wrap(random(100, 6)), 0);
            assertThat(h.digest(f.size())).isEmpty();
            assertThat(Files.size(dir.resolve("d"))).isEqualTo(100);
        }
    }
}
