package org.qimg.converters.checksum;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.qimg.converters.WorkerResult;
import org.qimg.converters.compare.ChainStatus;
import org.qimg.converters.compare.ProgressCallback;
import org.qimg.format.DiskImage;

/**
 * SHA-256 of an image's guest content (the virtual disk as raw bytes), so a raw file and any qcow2 with
 * the same content hash alike. Ranges the chain knows to be zero are fed from a shared zero buffer without
 * reading; the rest is read ahead in 1 MiB pieces on a small pool (bounded in flight) and hashed in order.
 */
public final class ImageChecksum {
    static final int CHUNK = 1 << 20;
    private static final byte[] ZEROS = new byte[CHUNK];

    private final int threads;

    public ImageChecksum(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1");
        }
        this.threads = threads;
    }

    public ImageChecksum() {
        this(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    /** The SHA-256 digest of the guest content, as lowercase hex. */
    public String sha256(DiskImage image, ProgressCallback progress) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long total = image.virtualSize();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "qimg-checksum");
            t.setDaemon(true);
            return t;
        });
        int window = threads * 2;
        ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
        ArrayDeque<Integer> lengths = new ArrayDeque<>();
        // At most window + 1 pieces are in flight: their buffers are reused rather than allocated per piece.
        ArrayDeque<byte[]> spare = new ArrayDeque<>();
        long hashed = 0;
        try {
            long pos = 0;
            while (pos < total) {
                ChainStatus s = ChainStatus.at(image, pos, total - pos);
                for (long p = pos; p < pos + s.length(); p += CHUNK) {
                    int len = (int) Math.min(CHUNK, pos + s.length() - p);
                    if (s.zero()) {
                        inFlight.add(java.util.concurrent.CompletableFuture.completedFuture(ZEROS));
                    } else {
                        long at = p;
                        byte[] b = spare.isEmpty() ? new byte[CHUNK] : spare.poll();
                        inFlight.add(pool.submit(() -> {
                            image.read(at, ByteBuffer.wrap(b, 0, len));
                            return b;
                        }));
                    }
                    lengths.add(len);
                    while (inFlight.size() > window) {
                        hashNext(md, inFlight, lengths, spare);
                    }
                    hashed = p;
                    progress.progress(Math.max(0, hashed - (long) inFlight.size() * CHUNK), total);
                }
                pos += s.length();
            }
            while (!inFlight.isEmpty()) {
                hashNext(md, inFlight, lengths, spare);
            }
            progress.progress(total, total);
            return HexFormat.of().formatHex(md.digest());
        } finally {
            for (Future<byte[]> f : inFlight) {
                f.cancel(true);
            }
            pool.shutdownNow();
        }
    }

    private static void hashNext(MessageDigest md, ArrayDeque<Future<byte[]>> inFlight, ArrayDeque<Integer> lengths,
                                 ArrayDeque<byte[]> spare) throws IOException {
        byte[] b = await(inFlight.poll());
        md.update(b, 0, lengths.poll());
        if (b != ZEROS) {
            spare.add(b);
        }
    }

    private static byte[] await(Future<byte[]> f) throws IOException {
        return WorkerResult.get(f, "checksum");
    }
}
