package org.qimg.converters.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.converters.compare.CompareResult;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;

/** The {@code --verify} step: a target that matches stays, one that does not is removed. */
class TargetVerifierTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] data) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void matchingTargetStays() throws Exception {
        byte[] data = random(1, 300_000);
        Path src = file("src.raw", data);
        Path dst = file("dst.raw", data.clone());
        try (DiskImage s = ImageFormats.open(src, "raw")) {
            CompareResult r = TargetVerifier.verify(List.of(s), dst, "raw");
            assertThat(r.identical()).isTrue();
        }
        assertThat(dst).exists();
    }

    @Test
    void mismatchIsReportedAtItsSectorAndTheTargetStays() throws Exception {
        byte[] data = random(2, 300_000);
        byte[] other = data.clone();
        other[123_457] ^= 1;
        Path src = file("src.raw", data);
        Path dst = file("dst.raw", other);
        try (DiskImage s = ImageFormats.open(src, "raw")) {
            CompareResult r = TargetVerifier.verify(List.of(s), dst, "raw");
            assertThat(r.identical()).isFalse();
            assertThat(r.offset()).isEqualTo(123_392); // the 512-byte sector holding the flipped byte
        }
        assertThat(dst).exists(); // verifying only reads; the caller decides what happens to a bad copy
    }

    @Test
    void severalSourcesAreComparedAsTheirConcatenation() throws Exception {
        byte[] a = random(5, 70_000); // not a sector multiple: the part is seen rounded up with zeros
        byte[] b = random(6, 50_000);
        Path pa = file("a.raw", a);
        Path pb = file("b.raw", b);
        byte[] joined = concat(java.util.Arrays.copyOf(a, 70_144), b);
        Path good = file("good.raw", joined);
        Path onlyB = file("swapped.raw", concat(java.util.Arrays.copyOf(b, 50_176), a));
        try (DiskImage sa = ImageFormats.open(pa, "raw"); DiskImage sb = ImageFormats.open(pb, "raw")) {
            assertThat(TargetVerifier.verify(List.of(sa, sb), good, "raw").identical()).isTrue();
            assertThat(TargetVerifier.verify(List.of(sa, sb), onlyB, "raw").identical()).isFalse();
        }
        assertThat(good).exists();
        assertThat(onlyB).exists();
    }
}
