package org.qimg.format.qcow2.write;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.qimg.format.codec.ClusterCompressor;
import org.qimg.format.codec.Compressors;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

/** Feeds raw files into the writer in guest order (one thread) and runs qemu-img as the oracle. */
final class WriterTestSupport {
    private WriterTestSupport() {
    }

    record Result(int exitCode, String out) {
    }

    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), new String(out));
    }

    static String md5(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        md.update(Files.readAllBytes(p));
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Converts raw → qcow2 like qemu-img convert [-c]: all-zero clusters are skipped, the rest compressed
     * (kept when the codec keeps it) or stored plain.
     */
    static void convert(Path raw, Path out, Qcow2CreateOptions opts, boolean compress) throws IOException {
        try (FileChannel in = FileChannel.open(raw, StandardOpenOption.READ);
                FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ)) {
            Qcow2Writer w = Qcow2Writer.create(ch, out, opts);
            if (compress) {
                w.compressedMode();
            }
            int cs = w.clusterSize();
            ByteBuffer buf = ByteBuffer.allocateDirect(cs);
            ByteBuffer payload = ByteBuffer.allocateDirect(cs);
            try (ClusterCompressor c = compress
                    ? Compressors.create(opts.compressionType(), opts.compressionLevel(), cs) : null) {
                long window = Math.max(1, (2 << 20) / cs);
                long previous = -1;
                for (long i = 0; i < w.clusterCount(); i++) {
                    buf.clear();
                    long pos = i * cs;
                    while (buf.hasRemaining()) {
                        int r = in.read(buf, pos + buf.position());
                        if (r < 0) {
                            break;
                        }
                    }
                    while (buf.hasRemaining()) {
                        buf.put((byte) 0);
                    }
                    buf.flip();
                    if (isZero(buf)) {
                        continue;
                    }
                    if (c != null) {
                        payload.clear();
                        int len = c.compress(buf.duplicate(), payload);
                        if (len >= 0) {
                            payload.flip();
                            w.writeCompressed(i, payload);
                            previous = -1;
                            continue;
                        }
                    }
                    // qemu-img convert's requests: -c writes each uncompressed cluster on its own; otherwise a
                    // run of data is cut into 2 MiB buffers counted from offset 0
                    boolean starts = c != null || previous != i - 1
                            || i / window != previous / window;
                    w.writePlain(i, buf, Qcow2Writer.ALL_SUBCLUSTERS, starts);
                    previous = i;
                }
            }
            w.finish();
        }
    }

    static boolean isZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A raw test image: 64 KiB pieces of random bytes, compressible text, zeros, half-zero clusters and
     * runs of a repeated byte, ending with a tail that is not a whole sector.
     */
    static Path mixedRaw(Path dir, String name, long seed, int pieces, int tail) throws IOException {
        Random r = new Random(seed);
        byte[] piece = new byte[65536];
        Path p = dir.resolve(name);
        try (var out = Files.newOutputStream(p)) {
            for (int k = 0; k < pieces; k++) {
                int kind = r.nextInt(6);
                java.util.Arrays.fill(piece, (byte) 0);
                switch (kind) {
                    case 0 -> r.nextBytes(piece);
                    case 1 -> text(r, piece, 0, piece.length);
                    case 2 -> { }
                    case 3 -> text(r, piece, 0, piece.length / 2);
                    case 4 -> java.util.Arrays.fill(piece, 1000, 1700, (byte) (1 + r.nextInt(200)));
                    default -> {
                        r.nextBytes(piece);
                        text(r, piece, 0, piece.length / 3);
                    }
                }
                out.write(piece);
            }
            byte[] t = new byte[tail];
            text(r, t, 0, tail);
            out.write(t);
        }
        return p;
    }

    static void text(Random r, byte[] b, int from, int to) {
        String[] words = {"qcow2 ", "cluster ", "refcount ", "table ", "the ", "of ", "image ", "zlib ", "\n"};
        int i = from;
        while (i < to) {
            byte[] w = words[r.nextInt(words.length)].getBytes();
            for (int j = 0; j < w.length && i < to; j++) {
                b[i++] = w[j];
            }
        }
    }

    static List<String> qemuConvert(Path raw, Path out, String opts, boolean compress) {
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "convert", "-f", "raw", "-O", "qcow2"));
        if (compress) {
            cmd.add("-c");
        }
        if (!opts.isEmpty()) {
            cmd.add("-o");
            cmd.add(opts);
        }
        cmd.add(raw.toString());
        cmd.add(out.toString());
        return cmd;
    }
}
