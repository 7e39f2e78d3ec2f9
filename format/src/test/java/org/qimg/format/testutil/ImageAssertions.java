package org.qimg.format.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.qimg.format.DiskImage;
import org.qimg.format.Extent;

/** Compares what our reader sees with what qemu-img says. */
public final class ImageAssertions {
    private ImageAssertions() {
    }

    /** Reads the whole image through {@code img} in one read, then in uneven pieces; both must equal expected. */
    public static void assertReadsAs(DiskImage img, byte[] expected) throws IOException {
        assertThat(img.virtualSize()).as("virtual size of %s", img.path()).isEqualTo(expected.length);
        ByteBuffer all = ByteBuffer.allocate(expected.length);
        img.read(0, all);
        assertThat(all.position()).isEqualTo(expected.length);
        assertSame(expected, all.array(), 0, img + " whole read");
        Random r = new Random(42);
        long pos = 0;
        while (pos < expected.length) {
            int n = (int) Math.min(expected.length - pos, 1 + r.nextInt(r.nextBoolean() ? 700 : 300_000));
            ByteBuffer b = r.nextBoolean() ? ByteBuffer.allocate(n) : ByteBuffer.allocateDirect(n);
            img.read(pos, b);
            byte[] got = new byte[n];
            b.flip().get(got);
            byte[] want = java.util.Arrays.copyOfRange(expected, (int) pos, (int) pos + n);
            assertSame(want, got, pos, "piece read at " + pos + " (" + n + " bytes)");
            pos += n;
        }
    }

    private static void assertSame(byte[] want, byte[] got, long base, String what) {
        int mismatch = java.util.Arrays.mismatch(want, got);
        assertThat(mismatch).as("%s: first differing byte at guest offset %d", what, base + mismatch).isEqualTo(-1);
    }

    /** Our extents of one layer, walked from 0 to the end. */
    public static List<Extent> extents(DiskImage img) throws IOException {
        List<Extent> out = new ArrayList<>();
        long pos = 0;
        while (pos < img.virtualSize()) {
            Extent e = img.extentAt(pos, Long.MAX_VALUE);
            assertThat(e.start()).isEqualTo(pos);
            out.add(e);
            pos = e.end();
        }
        return out;
    }

    /** One range in qemu-img map's terms: data / zero flags and offset (-1 when qemu prints none). */
    public record MapEntry(long start, long length, boolean data, boolean zero, boolean present, long offset) {
    }

    /**
     * qemu-img map --output=json of a single-layer image, with neighbours that agree in flags (and
     * continue each other's offset) merged, and offsets of non-data ranges dropped.
     */
    @SuppressWarnings("unchecked")
    public static List<MapEntry> qemuMap(java.nio.file.Path image, String fmt) throws IOException {
        String json = Qemu.img(image.getParent(), "map", "-f", fmt, "--output=json", image.getFileName().toString());
        List<MapEntry> raw = new ArrayList<>();
        for (Object o : (List<Object>) QemuJson.parse(json)) {
            Map<String, Object> m = (Map<String, Object>) o;
            boolean data = (Boolean) m.get("data");
            long off = data && m.containsKey("offset") ? (Long) m.get("offset") : -1;
            raw.add(new MapEntry((Long) m.get("start"), (Long) m.get("length"), data, (Boolean) m.get("zero"),
                    (Boolean) m.get("present"), off));
        }
        return merge(raw);
    }

    /** Our extents in qemu-img map's terms (no backing file: unallocated reads as zero). */
    public static List<MapEntry> ourMap(DiskImage img) throws IOException {
        List<MapEntry> raw = new ArrayList<>();
        for (Extent e : extents(img)) {
            switch (e.status()) {
                case DATA -> raw.add(new MapEntry(e.start(), e.length(), true, false, true, e.hostOffset()));
                case ZERO -> raw.add(new MapEntry(e.start(), e.length(), false, true, true, -1));
                case UNALLOCATED -> raw.add(new MapEntry(e.start(), e.length(), false, true, false, -1));
            }
        }
        return merge(raw);
    }

    /** Merges neighbours; a data range's zero flag is dropped (qemu adds it for sparse host clusters). */
    private static List<MapEntry> merge(List<MapEntry> in) {
        List<MapEntry> out = new ArrayList<>();
        for (MapEntry m : in) {
            MapEntry e = m.data() ? new MapEntry(m.start(), m.length(), true, false, m.present(), m.offset()) : m;
            if (!out.isEmpty()) {
                MapEntry p = out.get(out.size() - 1);
                boolean contiguous = p.offset() < 0 ? e.offset() < 0 : e.offset() == p.offset() + p.length();
                if (p.data() == e.data() && p.zero() == e.zero() && p.present() == e.present() && contiguous
                        && p.start() + p.length() == e.start()) {
                    out.set(out.size() - 1, new MapEntry(p.start(), p.length() + e.length(), p.data(), p.zero(),
                            p.present(), p.offset()));
                    continue;
                }
            }
            out.add(e);
        }
        return out;
    }
}
