package org.qimg.format.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressorsTest {
    @TempDir
    Path dir;

    @AfterEach
    void restore() {
        Compressors.forceJavaZlib(false);
    }

    static byte[] sample(long seed, int size) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        String[] words = {"alpha ", "beta ", "gamma ", "delta ", "qcow2 ", "\n"};
        int i = 0;
        while (i < size) {
            if (r.nextInt(10) == 0) {
                b[i++] = (byte) r.nextInt(256);
                continue;
            }
            byte[] w = words[r.nextInt(words.length)].getBytes();
            for (int j = 0; j < w.length && i < size; j++) {
                b[i++] = w[j];
            }
        }
        return b;
    }

    static byte[] inflate(byte[] payload, int len, int size) throws Exception {
        Inflater inf = new Inflater(true);
        inf.setInput(payload, 0, len);
        byte[] out = new byte[size];
        int n = inf.inflate(out);
        inf.end();
        assertThat(n).isEqualTo(size);
        return out;
    }

    @Test
    void javaDeflateRoundTripsAndStaysInA4kWindow() throws Exception {
        for (int cs : new int[] {512, 4096, 65536, 2 << 20}) {
            byte[] data = sample(cs, cs);
            try (ClusterCompressor c = new JavaDeflateCompressor(6, cs)) {
                ByteBuffer dst = ByteBuffer.allocate(cs);
                int len = c.compress(ByteBuffer.wrap(data), dst);
                assertThat(len).isPositive().isLessThanOrEqualTo(cs - 2);
                assertThat(inflate(dst.array(), len, cs)).isEqualTo(data);
                assertThat(maxDistance(dst.array(), len)).isLessThanOrEqualTo(4096);
            }
        }
        byte[] noise = new byte[65536];
        new Random(1).nextBytes(noise);
        try (ClusterCompressor c = new JavaDeflateCompressor(6, 65536)) {
            assertThat(c.compress(ByteBuffer.wrap(noise), ByteBuffer.allocate(65536))).isEqualTo(-1);
        }
    }

    @Test
    void nativeZlibMatchesQemusParameters() throws Exception {
        if (!Compressors.nativeZlibAvailable()) {
            return;
        }
        byte[] data = sample(3, 65536);
        try (ClusterCompressor c = Compressors.create(CompressionType.ZLIB, 6, 65536)) {
            ByteBuffer dst = ByteBuffer.allocateDirect(65536);
            int len = c.compress(ByteBuffer.wrap(data), dst);
            byte[] p = new byte[len];
            dst.flip().get(p);
            assertThat(inflate(p, len, 65536)).isEqualTo(data);
            assertThat(maxDistance(p, len)).isLessThanOrEqualTo(4096);
            // the same instance is reusable (deflateReset)
            ByteBuffer dst2 = ByteBuffer.allocate(65536);
            assertThat(c.compress(ByteBuffer.wrap(data), dst2)).isEqualTo(len);
        }
    }

    @Test
    void zstdFramesDecodeAndIncompressibleIsRefused() throws Exception {
        byte[] data = sample(5, 65536);
        try (ClusterCompressor c = Compressors.create(CompressionType.ZSTD, 3, 65536)) {
            ByteBuffer dst = ByteBuffer.allocate(65536);
            int len = c.compress(ByteBuffer.wrap(data), dst);
            byte[] back = com.github.luben.zstd.Zstd.decompress(java.util.Arrays.copyOf(dst.array(), len), 65536);
            assertThat(back).isEqualTo(data);
            byte[] noise = new byte[65536];
            new Random(2).nextBytes(noise);
            assertThat(c.compress(ByteBuffer.wrap(noise), ByteBuffer.allocate(65536))).isEqualTo(-1);
        }
    }

    @Test
    void fallbackNoticeGoesToTheCallersCallback() {
        Compressors.forceJavaZlib(true);
        java.util.List<String> notices = new java.util.ArrayList<>();
        try {
            Compressors.create(CompressionType.ZLIB, 6, 65536, notices::add).close();
            Compressors.create(CompressionType.ZLIB, 6, 65536).close();
            Compressors.create(CompressionType.ZSTD, 3, 65536, notices::add).close();
        } finally {
            Compressors.forceJavaZlib(Boolean.getBoolean("qimg.zlib.java"));
        }
        assertThat(notices).hasSize(1);
        assertThat(notices.get(0)).contains("pure-Java deflate");
    }

    /**
     * Inflates the payload with a 4 KiB window (windowBits -12, as QEMU does) in Python's zlib, 256 output
     * bytes at a time so that back-references must come from the window: any distance beyond 4096 bytes is
     * rejected ("invalid distance too far back"); returns 0 on success.
     */
    int maxDistance(byte[] p, int len) throws Exception {
        Path f = dir.resolve("payload" + System.nanoTime());
        Files.write(f, java.util.Arrays.copyOf(p, len));
        Process pr = new ProcessBuilder("python3", "-c",
                "import zlib,sys\n"
                + "d=zlib.decompressobj(-12); buf=open(sys.argv[1],'rb').read()\n"
                + "while buf:\n"
                + "    o=d.decompress(buf,256); buf=d.unconsumed_tail\n"
                + "    if not o and not buf: break\n", f.toString())
                .redirectErrorStream(true).start();
        String out;
        try (InputStream in = pr.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        assertThat(pr.waitFor()).as(out).isZero();
        return 0;
    }
}
