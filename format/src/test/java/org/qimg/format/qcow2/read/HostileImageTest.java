package org.qimg.format.qcow2.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.qimg.format.testutil.ImageAssertions.assertReadsAs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.CorruptImageException;
import org.qimg.format.DiskImage;
import org.qimg.format.FileOpenException;
import org.qimg.format.InvalidSnapshotException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.ImageLimitException;
import org.qimg.format.SnapshotInfo;
import org.qimg.format.UnsupportedFeatureException;
import org.qimg.format.testutil.ImageAssertions;
import org.qimg.format.testutil.Qemu;

/**
 * Images broken one field at a time, starting from {@link TinyQcow2}. Each must end in one ImageException
 * whose message names the file and the offset, quickly and without large allocations.
 */
class HostileImageTest {
    @TempDir
    Path dir;

    @Test
    void theUnbrokenImageIsValidForQemuAndForUs() throws IOException {
        Qemu.assumeInstalled();
        TinyQcow2 t = new TinyQcow2();
        Path p = t.write(dir.resolve("tiny.qcow2"));
        Qemu.img(dir, "check", "tiny.qcow2");
        byte[] oracle = Qemu.toRaw(p);
        assertThat(oracle).isEqualTo(t.expectedGuest());
        try (DiskImage d = ImageFormats.open(p, null)) {
            assertReadsAs(d, oracle);
            assertThat(ImageAssertions.ourMap(d)).isEqualTo(ImageAssertions.qemuMap(p, "qcow2"));
        }
    }

    /** Opens the image and uses all of it; returns what was thrown (or fails when nothing was). */
    private Throwable use(Path p) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> catchThrowable(() -> {
            try (DiskImage d = ImageFormats.open(p, null)) {
                d.read(0, ByteBuffer.allocate((int) d.virtualSize()));
                ImageAssertions.extents(d);
                for (SnapshotInfo s : d.snapshots()) {
                    try (DiskImage v = d.openSnapshot(s.id())) {
                        v.read(0, ByteBuffer.allocate((int) v.virtualSize()));
                    }
                }
            }
        }));
    }

    private Throwable broken(String name, Consumer<TinyQcow2> breaker, Class<? extends ImageException> type,
                             long offset) throws IOException {
        TinyQcow2 t = new TinyQcow2();
        breaker.accept(t);
        Path p = t.write(dir.resolve(name));
        Throwable e = use(p);
        assertThat(e).as(name).isInstanceOf(type);
        assertThat(e.getMessage()).as(name).contains(p.toString());
        if (offset >= 0) {
            assertThat(e.getMessage()).as(name).contains("offset " + offset);
        }
        return e;
    }

    /**
     * A header QEMU refuses when it opens the image: the message is qemu-img's ("Could not open 'F': reason"),
     * and qimg's detail (the field's offset) is the cause.
     */
    private Throwable refused(String name, Consumer<TinyQcow2> breaker, String reason, long offset)
            throws IOException {
        TinyQcow2 t = new TinyQcow2();
        breaker.accept(t);
        Path p = t.write(dir.resolve(name));
        Throwable e = use(p);
        assertThat(e).as(name).isInstanceOf(FileOpenException.class)
                .hasMessage("Could not open '" + p + "': " + reason);
        assertThat(e.getCause()).as(name).isNotNull();
        assertThat(e.getCause().getMessage()).as(name).contains(p.toString()).contains("offset " + offset);
        return e;
    }

    @Test
    void badMagic() throws IOException {
        // bytes 0..3 must be "QFI\xfb"; "QFI\0" is not qcow2, so force the format
        TinyQcow2 t = new TinyQcow2();
        t.b.put(3, (byte) 0);
        Path p = t.write(dir.resolve("magic.qcow2"));
        Throwable e = catchThrowable(() -> ImageFormats.open(p, "qcow2").close());
        assertThat(e).isInstanceOf(FileOpenException.class)
                .hasMessage("Could not open '" + p + "': Image is not in qcow2 format");
        assertThat(e.getCause()).hasMessageContaining("offset 0").hasMessageContaining("magic");
    }

    @Test
    void version4() throws IOException {
        refused("v4.qcow2", t -> t.b.putInt(4, 4), "Unsupported qcow2 version 4", 4);
    }

    @Test
    void clusterBits30() throws IOException {
        refused("cb30.qcow2", t -> t.b.putInt(20, 30), "Unsupported cluster size: 2^30", 20);
    }

    @Test
    void refcountOrder7() throws IOException {
        refused("ro7.qcow2", t -> t.b.putInt(96, 7), "Reference count entry width too large; may not exceed 64 bits",
                96);
    }

    @Test
    void headerLengthTooShort() throws IOException {
        refused("hl100.qcow2", t -> t.b.putInt(100, 100), "qcow2 header too short", 100);
    }

    @Test
    void l1OffsetPastEndOfFile() throws IOException {
        // QEMU opens it: the L1 table reads as zeros, so the disk does
        TinyQcow2 t = new TinyQcow2();
        t.b.putLong(40, 0x100000);
        try (DiskImage d = ImageFormats.open(t.write(dir.resolve("l1eof.qcow2")), null)) {
            ByteBuffer all = ByteBuffer.allocate((int) d.virtualSize());
            d.read(0, all);
            assertThat(all.array()).containsOnly(0);
        }
    }

    @Test
    void l1OffsetUnaligned() throws IOException {
        refused("l1una.qcow2", t -> t.b.putLong(40, 0x3008), "Active L1 table offset invalid", 40);
    }

    @Test
    void l1SizeHuge() throws IOException {
        // 0xffffffff entries would be a 32 GiB table: refused before any allocation
        refused("l1huge.qcow2", t -> t.b.putInt(36, -1), "Active L1 table too large", 36);
        // within QEMU's 32 MiB limit but far past the end of the file: read as zeros past the end, as QEMU
        TinyQcow2 t = new TinyQcow2();
        t.b.putInt(36, 1 << 20);
        try (DiskImage d = ImageFormats.open(t.write(dir.resolve("l1big.qcow2")), null)) {
            assertThat(d.virtualSize()).isEqualTo(new TinyQcow2().expectedGuest().length);
        }
    }

    @Test
    void l1TooSmallForVirtualSize() throws IOException {
        // 1 TiB needs 512 L1 entries with 4 KiB clusters
        refused("l1small.qcow2", t -> t.b.putLong(24, 1L << 40), "L1 table is too small", 36);
    }

    @Test
    void unknownIncompatibleBitIsNamed() throws IOException {
        refused("incompat.qcow2", t -> t.featureName(5, "future-thing").b.putLong(72, 1L << 5),
                "Unsupported qcow2 feature(s): future-thing", 72);
        refused("incompat2.qcow2", t -> t.b.putLong(72, 1L << 40),
                "Unsupported qcow2 feature(s): Unknown incompatible feature: 10000000000", 72);
    }

    @Test
    void encryptionIsRefused() throws IOException {
        assertThat(broken("aes.qcow2", t -> t.b.putInt(32, 1), UnsupportedFeatureException.class, 32))
                .hasMessageContaining("AES");
        assertThat(broken("luks.qcow2", t -> t.b.putInt(32, 2), UnsupportedFeatureException.class, 32))
                .hasMessageContaining("LUKS");
        broken("crypt9.qcow2", t -> t.b.putInt(32, 9), CorruptImageException.class, 32);
    }

    @Test
    void compressionTypeWithoutItsBit() throws IOException {
        refused("zstdbit.qcow2", t -> t.b.put(104, (byte) 1),
                "qcow2: Compression type incompatible feature bit must be set", 72);
        refused("ctype7.qcow2", t -> t.b.put(104, (byte) 7).putLong(72, 1L << 3), "qcow2: unknown compression type: 7",
                104);
    }

    @Test
    void extensionLongerThanTheCluster() throws IOException {
        refused("extlen.qcow2", t -> t.b.putInt(112, 0x12345678).putInt(116, 0x7fffffff),
                "Header extension too large", 112);
    }

    @Test
    void backingNameTooLong() throws IOException {
        refused("bname.qcow2", t -> t.backing("x").b.putInt(16, 5000), "Backing file name too long", 16);
    }

    @Test
    void backingLoop() throws IOException {
        new TinyQcow2().backing("b.qcow2").write(dir.resolve("a.qcow2"));
        new TinyQcow2().backing("a.qcow2").write(dir.resolve("b.qcow2"));
        Throwable e = use(dir.resolve("a.qcow2"));
        assertThat(e).isInstanceOf(CorruptImageException.class).hasMessageContaining("loop")
                .hasMessageContaining("b.qcow2").hasMessageContaining("offset 8");
        Throwable self = broken("self.qcow2", t -> t.backing("self.qcow2"), CorruptImageException.class, 8);
        assertThat(self).hasMessageContaining("loop");
    }

    @Test
    void backingChainTooDeep() throws IOException {
        // img0 -> img1 -> ... -> img70: more than 64 levels
        for (int i = 0; i < 70; i++) {
            new TinyQcow2().backing("img" + (i + 1) + ".qcow2").write(dir.resolve("img" + i + ".qcow2"));
        }
        new TinyQcow2().write(dir.resolve("img70.qcow2"));
        Throwable e = use(dir.resolve("img0.qcow2"));
        assertThat(e).isInstanceOf(ImageLimitException.class).hasMessageContaining("deeper than 64");
    }

    @Test
    void missingBackingFile() throws IOException {
        Throwable e = use(new TinyQcow2().backing("nowhere.qcow2").write(dir.resolve("orphan.qcow2")));
        assertThat(e).isInstanceOf(ImageException.class).hasMessageContaining("nowhere.qcow2");
    }

    @Test
    void snapshotCountHuge() throws IOException {
        refused("snaps.qcow2", t -> t.b.putInt(60, -1).putLong(64, 0x7000), "Snapshot table too large", 60);
        // 65536 entries of at least 40 bytes do not fit in the 32 KiB file: as QEMU, the rest reads as zeros
        TinyQcow2 t = new TinyQcow2();
        t.b.putInt(60, 65536).putLong(64, 0x7000);
        try (DiskImage d = ImageFormats.open(t.write(dir.resolve("snaps2.qcow2")), null)) {
            assertThat(d.snapshots()).hasSize(65536);
            assertThat(d.snapshots().get(65535).id()).isEmpty();
        }
    }

    @Test
    void snapshotEntryPastEndOfFile() throws IOException {
        // one entry at 0x7000 whose id length (bytes 12..13) reaches past the end of the file: read as zeros,
        // the id is empty (QEMU's C string ends at the first NUL)
        TinyQcow2 t = new TinyQcow2();
        t.b.putInt(60, 1).putLong(64, 0x7000).putShort(0x7000 + 12, (short) 0xffff);
        try (DiskImage d = ImageFormats.open(t.write(dir.resolve("snapeof.qcow2")), null)) {
            assertThat(d.snapshots()).hasSize(1);
            assertThat(d.snapshots().get(0).id()).isEmpty();
        }
        // extra data size (bytes 36..39) larger than the 1 KiB limit
        refused("snapextra.qcow2", t2 -> t2.b.putInt(60, 1).putLong(64, 0x7000).putInt(0x7000 + 36, 1 << 30),
                "Too much extra metadata in snapshot table entry 0", 0x7000 + 36);
    }

    @Test
    void snapshotL1PastEndOfFile() throws IOException {
        // a well-formed entry (40 bytes + 16 extra + id "1" + name "s") whose L1 table is far away: QEMU reads
        // it as zeros, so the snapshot reads as zeros
        TinyQcow2 t = new TinyQcow2();
        t.b.putInt(60, 1).putLong(64, 0x7000);
        t.b.putLong(0x7000, 0x40000000L).putInt(0x7000 + 8, 1).putShort(0x7000 + 12, (short) 1)
                .putShort(0x7000 + 14, (short) 1).putInt(0x7000 + 36, 16).put(0x7000 + 56, (byte) '1')
                .put(0x7000 + 57, (byte) 's');
        try (DiskImage d = ImageFormats.open(t.write(dir.resolve("snapl1.qcow2")), null);
             DiskImage v = d.openSnapshot("1")) {
            ByteBuffer all = ByteBuffer.allocate((int) v.virtualSize());
            v.read(0, all);
            assertThat(all.array()).containsOnly(0);
        }
        // unaligned, it is refused with QEMU's words
        TinyQcow2 u = new TinyQcow2();
        u.b.putInt(60, 1).putLong(64, 0x7000);
        u.b.putLong(0x7000, 0x3200).putInt(0x7000 + 8, 1).putShort(0x7000 + 12, (short) 1)
                .putShort(0x7000 + 14, (short) 1).putInt(0x7000 + 36, 16).put(0x7000 + 56, (byte) '1')
                .put(0x7000 + 57, (byte) 's');
        try (DiskImage d = ImageFormats.open(u.write(dir.resolve("snapl1u.qcow2")), null)) {
            assertThat(catchThrowable(() -> d.openSnapshot("1"))).isInstanceOf(InvalidSnapshotException.class)
                    .hasMessage("Failed to load snapshot: Snapshot L1 table offset invalid")
                    .cause().hasMessageContaining("offset " + 0x3200);
        }
    }

    @Test
    void compressedEntryPastEndOfFile() throws IOException {
        broken("compeof.qcow2", t -> t.b.putLong((int) TinyQcow2.L2 + 8, TinyQcow2.compressedEntry(0x100000, 100)),
                CorruptImageException.class, TinyQcow2.L2 + 8);
    }

    @Test
    void compressedGarbage() throws IOException {
        Throwable e = broken("compbad.qcow2", t -> {
            for (int i = 0; i < t.compressedLength; i++) {
                t.b.put((int) TinyQcow2.COMPRESSED + i, (byte) 0xff);
            }
        }, CorruptImageException.class, TinyQcow2.COMPRESSED);
        assertThat(e).hasMessageContaining("does not expand");
        // extents come from metadata only: the broken payload is never looked at
        try (DiskImage d = ImageFormats.open(dir.resolve("compbad.qcow2"), null)) {
            assertThat(d.extentAt(TinyQcow2.CLUSTER, TinyQcow2.CLUSTER))
                    .isEqualTo(new org.qimg.format.Extent(TinyQcow2.CLUSTER, TinyQcow2.CLUSTER,
                            org.qimg.format.Extent.Status.DATA, -1, true));
        }
    }

    @Test
    void compressedPayloadTruncated() throws IOException {
        // claims one sector at the very end of the file: the payload stops short of a whole cluster
        broken("comptrunc.qcow2", t -> t.b.putLong((int) TinyQcow2.L2 + 8,
                TinyQcow2.compressedEntry(8 * TinyQcow2.CLUSTER - 16, 16)), CorruptImageException.class,
                8 * TinyQcow2.CLUSTER - 16);
    }

    @Test
    void l2OffsetUnaligned() throws IOException {
        broken("l2una.qcow2", t -> t.b.putLong((int) TinyQcow2.L1, 0x4200 | TinyQcow2.COPIED),
                CorruptImageException.class, TinyQcow2.L1);
    }

    @Test
    void l2PastEndOfFile() throws IOException {
        broken("l2eof.qcow2", t -> t.b.putLong((int) TinyQcow2.L1, 0x100000 | TinyQcow2.COPIED),
                CorruptImageException.class, TinyQcow2.L1);
    }

    @Test
    void dataClusterUnalignedOrPastEndOfFile() throws IOException {
        broken("dataun.qcow2", t -> t.b.putLong((int) TinyQcow2.L2, 0x5200 | TinyQcow2.COPIED),
                CorruptImageException.class, TinyQcow2.L2);
        broken("dataeof.qcow2", t -> t.b.putLong((int) TinyQcow2.L2, 0x100000 | TinyQcow2.COPIED),
                CorruptImageException.class, 0x100000);
    }

    @Test
    void zeroFlagInVersion2() throws IOException {
        // version 2: 72-byte header, no feature fields; L2 entry 2 still carries bit 0
        broken("v2zero.qcow2", t -> t.b.putInt(4, 2), CorruptImageException.class, TinyQcow2.L2 + 16);
    }

    @Test
    void truncatedFiles() throws IOException {
        Path p = dir.resolve("short.qcow2");
        Files.write(p, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
        // as QEMU reads it, zeros past the end: cluster_bits 0
        assertThat(use(p)).isInstanceOf(FileOpenException.class)
                .hasMessage("Could not open '" + p + "': Unsupported cluster size: 2^0");
        TinyQcow2 t = new TinyQcow2();
        Path p2 = dir.resolve("cut.qcow2");
        Files.write(p2, java.util.Arrays.copyOf(t.b.array(), 0x3800)); // cut inside the L1 cluster
        assertThat(use(p2)).isInstanceOf(CorruptImageException.class).hasMessageContaining("offset");
    }

    /** No data file named, none given: QEMU's "'data-file' is required for this image" when guest data is read. */
    @Test
    void dataFileBitWithoutName() throws IOException {
        Throwable e = broken("nodata.qcow2", t -> t.b.putLong(72, 1L << 2), org.qimg.format.FileOpenException.class,
                -1);
        assertThat(e.getMessage()).endsWith(": 'data-file' is required for this image");
    }
}
