package org.qimg.converters.convert;

import org.qimg.format.ClusterSink;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import org.qimg.format.codec.ClusterCompressor;

/** A cluster sink that records every call (and a digest of its bytes), optionally blocking the first write. */
final class RecordingSink implements ClusterSink {
    final int clusterSize;
    final List<String> ops = new ArrayList<>();
    final CountDownLatch firstWrite = new CountDownLatch(1);
    volatile CountDownLatch gate;
    boolean finished;

    RecordingSink(int clusterSize) {
        this.clusterSize = clusterSize;
    }

    private void maybeBlock() {
        firstWrite.countDown();
        CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public int clusterSize() {
        return clusterSize;
    }

    @Override
    public void writePlain(long index, ByteBuffer data) {
        maybeBlock();
        if (data.remaining() != clusterSize) {
            throw new AssertionError("plain cluster of " + data.remaining() + " bytes");
        }
        ops.add("P" + index + ":" + digest(data));
    }

    @Override
    public void writeCompressed(long index, ByteBuffer payload) {
        maybeBlock();
        ops.add("C" + index + ":" + payload.remaining() + ":" + digest(payload));
    }

    @Override
    public void writeZero(long index) {
        ops.add("Z" + index);
    }

    @Override
    public void finish() {
        finished = true;
    }

    @Override
    public void close() {
    }

    static String digest(ByteBuffer b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(b.duplicate());
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A deterministic compressor for tests (java.util.zip, raw deflate); refuses when not smaller. */
    static final class TestCompressor implements ClusterCompressor {
        private final Deflater deflater = new Deflater(6, true);
        private final byte[] in = new byte[1 << 21];
        private final byte[] out = new byte[(1 << 21) + 1024];

        @Override
        public int compress(ByteBuffer src, ByteBuffer dst) {
            int len = src.remaining();
            src.get(in, 0, len);
            deflater.reset();
            deflater.setInput(in, 0, len);
            deflater.finish();
            int n = 0;
            while (!deflater.finished()) {
                n += deflater.deflate(out, n, out.length - n);
            }
            if (n > len - 2) {
                return -1;
            }
            dst.put(out, 0, n);
            return n;
        }

        @Override
        public void close() {
            deflater.end();
        }
    }
}
