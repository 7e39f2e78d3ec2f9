package org.qimg.tests.vmdkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;

/** The independent VMDK readers the vmdkout tests ask: libvmdk's vmdkinfo and pyvmdk, and helpers around them. */
final class VmdkReaders {
    private static final Pattern CID = Pattern.compile("(?m)^CID=[0-9a-f]+$");
    /** The Debian python that has the pyvmdk module (python3-libvmdk), whatever python3 the PATH prefers. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final String READ_BACK = """
            import hashlib, sys, pyvmdk
            h = pyvmdk.handle()
            h.open(sys.argv[1])
            h.open_extent_data_files()
            n = h.get_media_size()
            m = hashlib.md5()
            off = 0
            while off < n:
                k = min(1 << 20, n - off)
                m.update(h.read_buffer_at_offset(k, off))
                off += k
            print(n, m.hexdigest())
            """;

    private VmdkReaders() {
    }

    /** "SIZE MD5" of the guest data as libvmdk reads it. */
    static String libvmdkReadBack(Path image) {
        ProcResult r = Proc.run(image.getParent(), PYTHON, "-c", READ_BACK, image.toString());
        assertThat(r.exitCode()).as("pyvmdk read-back of %s: %s", image, r.stderr()).isZero();
        return r.stdout().strip();
    }

    /** vmdkinfo's report; fails unless libvmdk accepts the image. */
    static String vmdkinfo(Path image) {
        ProcResult r = Proc.run(image.getParent(), "vmdkinfo", image.toString());
        assertThat(r.exitCode()).as("vmdkinfo %s: %s%s", image, r.stdout(), r.stderr()).isZero();
        return r.stdout();
    }

    /** "SIZE MD5" of a raw file as a disk: its length rounded up to a sector, the tail zero. */
    static String rawAsDisk(Path raw) {
        try (InputStream in = Files.newInputStream(raw)) {
            MessageDigest md = MessageDigest.getInstance("MD5");
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
                total += n;
            }
            long padded = (total + 511) / 512 * 512;
            md.update(new byte[(int) (padded - total)]);
            return padded + " " + HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code text} with its descriptor's CID line replaced by {@code CID=*}, and trailing NULs cut. */
    static String withoutCid(String text) {
        return CID.matcher(text).replaceFirst("CID=*").replaceAll("\u0000+$", "");
    }

    /**
     * Asserts that two sparse extents (header, descriptor in sectors 1..20, the rest) are the same file except for
     * the CID: qemu-img draws the CID at random, qimg derives it from the content, and nothing else may differ.
     */
    static void assertSameExceptCid(Path ours, Path theirs) {
        byte[] a = read(ours);
        byte[] b = read(theirs);
        assertThat(a.length).as("length of %s vs qemu-img's", ours).isEqualTo(b.length);
        assertThat(java.util.Arrays.copyOfRange(a, 0, 512)).as("header")
                .isEqualTo(java.util.Arrays.copyOfRange(b, 0, 512));
        int descEnd = Math.min(a.length, 21 * 512);
        assertThat(withoutCid(new String(a, 512, descEnd - 512, StandardCharsets.ISO_8859_1)))
                .as("descriptor").isEqualTo(withoutCid(new String(b, 512, descEnd - 512, StandardCharsets.ISO_8859_1)));
        int mismatch = java.util.Arrays.mismatch(a, descEnd, a.length, b, descEnd, b.length);
        assertThat(mismatch).as("first differing byte after the descriptor: %d", mismatch < 0 ? -1 : descEnd + mismatch)
                .isEqualTo(-1);
    }

    /** A descriptor file's text without its CID (and without the zero padding qemu-img adds). */
    static String descriptorWithoutCid(Path file) {
        return withoutCid(new String(read(file), StandardCharsets.ISO_8859_1));
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
