package org.qimg.tests.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Checksums of whole files, streamed. */
public final class Digests {
    private Digests() {
    }

    public static String sha256(Path file) {
        return digest(file, "SHA-256");
    }

    public static String md5(Path file) {
        return digest(file, "MD5");
    }

    private static String digest(Path file, String algorithm) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Offset of the first byte where two files differ, or -1 when they are equal; used only to make a
     * checksum mismatch readable.
     */
    public static long firstDifference(Path a, Path b) {
        try (InputStream ia = Files.newInputStream(a); InputStream ib = Files.newInputStream(b)) {
            byte[] ba = new byte[1 << 16];
            byte[] bb = new byte[1 << 16];
            long pos = 0;
            while (true) {
                int na = ia.readNBytes(ba, 0, ba.length);
                int nb = ib.readNBytes(bb, 0, bb.length);
                int n = Math.min(na, nb);
                int mismatch = java.util.Arrays.mismatch(ba, 0, n, bb, 0, n);
                if (mismatch >= 0) {
                    return pos + mismatch;
                }
                if (na != nb) {
                    return pos + n;
                }
                if (na == 0) {
                    return -1;
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
