package org.qimg.tests.analyze;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** Small raw disks with a known pattern of cluster contents. */
final class Images {
    static final int CLUSTER = 65536;

    /** What guest cluster i holds in {@link #mixedRaw}. */
    enum Kind { TEXT, HALF_RANDOM, RANDOM, ZERO }

    private Images() {
    }

    static Kind kindOf(int i) {
        return switch (i % 7) {
            case 0, 1, 2 -> Kind.TEXT;
            case 3 -> Kind.HALF_RANDOM;
            case 4 -> Kind.RANDOM;
            default -> Kind.ZERO;
        };
    }

    /** {@code clusters} clusters: text (compresses well), half random (saves ~45 %), random, zero. */
    static Path mixedRaw(Path dir, int clusters) throws IOException {
        Path p = dir.resolve("mixed.raw");
        Random rnd = new Random(7);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < clusters; i++) {
                byte[] b = new byte[CLUSTER];
                switch (kindOf(i)) {
                    case TEXT -> {
                        byte[] line = ("cluster " + i + " the quick brown fox jumps over the lazy dog\n")
                                .getBytes(StandardCharsets.US_ASCII);
                        for (int o = 0; o < CLUSTER; o++) {
                            b[o] = line[o % line.length];
                        }
                    }
                    case HALF_RANDOM -> {
                        byte[] r = new byte[CLUSTER / 2];
                        rnd.nextBytes(r);
                        System.arraycopy(r, 0, b, 0, r.length);
                    }
                    case RANDOM -> rnd.nextBytes(b);
                    case ZERO -> {
                    }
                }
                ch.write(ByteBuffer.wrap(b), (long) i * CLUSTER);
            }
        }
        return p;
    }
}
