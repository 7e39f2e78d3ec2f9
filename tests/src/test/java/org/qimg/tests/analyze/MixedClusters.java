package org.qimg.tests.analyze;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.qimg.tests.support.Proc;

/**
 * The analyze tests' source: a small raw disk of {@link #N} clusters with a known pattern of contents, what
 * {@code qemu-img convert -c} makes of each cluster, and how {@code qemu-img map} says an image stores them.
 */
final class MixedClusters {
    static final int CLUSTER = 65536;
    static final int N = 40;

    /** What guest cluster i holds in {@link #mixedRaw}. */
    enum Kind { TEXT, HALF_RANDOM, RANDOM, ZERO }

    /** How an image stores a guest cluster. */
    enum Stored { COMPRESSED, PLAIN, ZERO }

    private MixedClusters() {
    }

    static Kind kindOf(int i) {
        return switch (i % 7) {
            case 0, 1, 2 -> Kind.TEXT;
            case 3 -> Kind.HALF_RANDOM;
            case 4 -> Kind.RANDOM;
            default -> Kind.ZERO;
        };
    }

    /** {@link #N} clusters: text (compresses well), half random (saves ~45 %), random, zero. */
    static Path mixedRaw(Path dir) throws IOException {
        Path p = dir.resolve("mixed.raw");
        Random rnd = new Random(7);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < N; i++) {
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

    /** What qemu-img -c would do with cluster i: text and half-random compress, random does not. */
    static Stored qemuDefault(int i) {
        return switch (kindOf(i)) {
            case TEXT, HALF_RANDOM -> Stored.COMPRESSED;
            case RANDOM -> Stored.PLAIN;
            case ZERO -> Stored.ZERO;
        };
    }

    /** Per guest cluster, how qemu-img map says {@code img} stores it (compressed clusters have no offset). */
    static List<Stored> storedByQemu(Path dir, Path img) throws IOException {
        JsonNode map = new ObjectMapper().readTree(Proc.ok(dir, "qemu-img", "map", "--output=json", img.toString()));
        List<Stored> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            out.add(null);
        }
        for (JsonNode e : map) {
            long start = e.get("start").asLong();
            long len = e.get("length").asLong();
            Stored s = !e.get("data").asBoolean() ? Stored.ZERO : e.has("offset") ? Stored.PLAIN : Stored.COMPRESSED;
            for (long o = start; o < start + len; o += CLUSTER) {
                out.set((int) (o / CLUSTER), s);
            }
        }
        return out;
    }
}
