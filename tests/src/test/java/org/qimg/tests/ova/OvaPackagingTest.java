package org.qimg.tests.ova;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.converters.ova.DiskFacts;
import org.qimg.converters.ova.DiskWriter;
import org.qimg.converters.ova.OvaSettings;
import org.qimg.converters.ova.OvaWriter;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.Qemu;

/**
 * The packaging of an OVA, with a streamOptimized disk made by {@code qemu-img convert -O vmdk -o
 * subformat=streamOptimized} put through the disk step ({@link DiskWriter}) that qimg's own VMDK writer
 * fills in a real {@code convert -O ova}: GNU tar unpacks the result and lists {@code .ovf}, {@code .mf}, disk
 * in that order, with ustar headers; coreutils verify the manifest; the descriptor has the OVF envelope's
 * structure and the right sizes (file size, capacity, populated size as qemu-img map counts it); the disk in
 * it is the disk that went in, which qemu-img compare and libvmdk's vmdkinfo accept. Failures leave no OVA
 * and no scratch file.
 */
class OvaPackagingTest {
    private static final long MTIME = 1_700_000_000L;

    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        Qemu.assumeInstalled();
    }

    /** A 64 MiB raw source: mixed data in the first 3 MiB and at 40 MiB, holes elsewhere. */
    private Path source() throws IOException {
        Path src = dir.resolve("src.raw");
        Content.writeMixed(src, 3 << 20, 11);
        Content.writeRandomAt(src, 40L << 20, 300_000, 12);
        try (FileChannel ch = FileChannel.open(src, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(64L << 20);
            ch.write(ByteBuffer.wrap(new byte[] {1}), (64L << 20) - 1);
        }
        return src;
    }

    /** qemu-img's streamOptimized VMDK of {@code src}. */
    private Path qemuDisk(Path src) {
        Path disk = dir.resolve("qemu.vmdk");
        new Qemu(dir).img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", src.toString(),
                disk.toString());
        return disk;
    }

    /** The disk step fed with {@code disk}'s bytes, front to back; facts as qemu-img reports them. */
    private DiskWriter copying(Path disk) throws IOException {
        DiskFacts facts = new DiskFacts(OvaPackage.virtualSize(dir, disk), OvaPackage.mappedData(dir, disk));
        return (channel, path) -> {
            try (InputStream in = Files.newInputStream(disk)) {
                byte[] buf = new byte[100_000]; // not a multiple of anything: writes land unaligned
                for (int n; (n = in.read(buf)) > 0; ) {
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) {
                        channel.write(b);
                    }
                }
            }
            return facts;
        };
    }

    private static OvaSettings settings(String... options) throws Exception {
        return OvaSettings.parse(List.of(options), "appliance", MTIME);
    }

    @Test
    void packsTheDiskBehindDescriptorAndManifestAndEverythingVerifies() throws Exception {
        Path src = source();
        Path disk = qemuDisk(src);
        Path ova = dir.resolve("appliance.ova");
        OvaWriter.Result r = OvaWriter.write(ova, settings(), copying(disk), List.of(src), false);
        assertThat(r.digestedWhileWritten()).isTrue();

        assertThat(OvaPackage.members(ova))
                .containsExactly("appliance.ovf", "appliance.mf", "appliance-disk1.vmdk");
        assertThat(OvaPackage.listing(ova)).allSatisfy(l -> assertThat(l).startsWith("-rw-r--r-- 0/0 ")
                .contains(" 2023-11-1")); // 1700000000 s, in any time zone
        byte[] header = new byte[512];
        try (InputStream in = Files.newInputStream(ova)) {
            assertThat(in.readNBytes(header, 0, 512)).isEqualTo(512);
        }
        assertThat(new String(header, 257, 8, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("ustar\u000000");
        assertThat(Files.size(ova) % 10240).as("archive in whole tar blocks").isZero();

        Path x = OvaPackage.extract(ova, dir.resolve("x"));
        // GNU tar packs the unpacked members into the same archive, header fields and layout alike
        Proc.run(x, "tar", "--format=ustar", "--owner=root:0", "--group=root:0", "--mode=0644", "--mtime=@" + MTIME,
                "-cf", "../gnu.tar", "appliance.ovf", "appliance.mf", "appliance-disk1.vmdk").requireSuccess();
        assertThat(OvaPackage.headers(ova)).isEqualTo(OvaPackage.headers(dir.resolve("gnu.tar")))
                .startsWith("appliance.ovf b'0' 0o644 0 0 root root ");
        assertThat(Files.size(ova)).isEqualTo(Files.size(dir.resolve("gnu.tar")));
        Files.delete(dir.resolve("gnu.tar"));
        assertThat(OvaPackage.verifyManifest(x, "appliance.mf"))
                .containsExactly("appliance.ovf", "appliance-disk1.vmdk");
        OvaPackage.Descriptor d = OvaPackage.descriptor(x, "appliance.ovf");
        Path inside = x.resolve(d.diskHref());
        assertThat(d.diskHref()).isEqualTo("appliance-disk1.vmdk");
        assertThat(d.fileSize()).isEqualTo(Files.size(inside)).isEqualTo(r.diskFileSize());
        assertThat(d.capacity()).isEqualTo(64L << 20);
        assertThat(d.populatedSize()).isEqualTo(OvaPackage.mappedData(dir, inside)).isGreaterThan(0)
                .isLessThan(8L << 20);
        assertThat(d.name()).isEqualTo("appliance");
        assertThat(d.rasd("3", "VirtualQuantity")).isEqualTo("2");
        assertThat(d.rasd("4", "VirtualQuantity")).isEqualTo("2048");
        assertThat(d.rasd("6", "ResourceSubType")).isEqualTo("lsilogic");
        assertThat(d.rasd("10", "Connection")).isEqualTo("VM Network");
        assertThat(d.systemType()).isEqualTo("vmx-13");
        assertThat(d.vmwConfig("firmware")).isEqualTo("bios");

        assertThat(Digests.sha256(inside)).isEqualTo(Digests.sha256(disk));
        new Qemu(dir).img("compare", "-f", "raw", "-F", "vmdk", src.toString(), inside.toString());
        assumeVmdkinfo();
        var info = Proc.run(dir, "vmdkinfo", inside.toString());
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(info.stdout()).contains("Stream optimized").contains("(67108864 bytes)");
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("src.raw", "qemu.vmdk", "appliance.ova", "x");
    }

    private static void assumeVmdkinfo() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Proc.run(Path.of("/"), "sh", "-c", "command -v vmdkinfo")
                .exitCode() == 0, "vmdkinfo (libvmdk-utils) not installed");
    }

    @Test
    void aDiskWriterThatGoesBackIsDigestedByOneMoreRead() throws Exception {
        Path src = source();
        Path disk = qemuDisk(src);
        byte[] bytes = Files.readAllBytes(disk);
        DiskFacts facts = new DiskFacts(64L << 20, 0);
        DiskWriter backwards = (channel, path) -> {
            int chunk = 65536;
            for (int off = (bytes.length - 1) / chunk * chunk; off >= 0; off -= chunk) {
                channel.write(ByteBuffer.wrap(bytes, off, Math.min(chunk, bytes.length - off)), off);
            }
            return facts;
        };
        Path ova = dir.resolve("back.ova");
        OvaWriter.Result r = OvaWriter.write(ova, settings("ova.manifest=sha512"), backwards, List.of(src), true);
        assertThat(r.digestedWhileWritten()).isFalse();
        Path x = OvaPackage.extract(ova, dir.resolve("x"));
        assertThat(OvaPackage.verifyManifest(x, "appliance.mf")).hasSize(2);
        assertThat(Files.readAllBytes(x.resolve("appliance-disk1.vmdk"))).isEqualTo(bytes);
    }

    @Test
    void optionsReachTheDescriptorAndNamesAreSanitised() throws Exception {
        Path src = source();
        Path disk = qemuDisk(src);
        Path ova = dir.resolve("out.ova");
        OvaWriter.write(ova, settings("ova.name=web & db", "ova.cpus=4,ova.memory=4G,ova.firmware=efi",
                "ova.controller=ide,ova.network=none,ova.ovf-version=2.0,ova.manifest=sha1,ova.hw-version=19"),
                copying(disk), List.of(src), false);
        assertThat(OvaPackage.members(ova)).containsExactly("web___db.ovf", "web___db.mf", "web___db-disk1.vmdk");
        Path x = OvaPackage.extract(ova, dir.resolve("x"));
        OvaPackage.verifyManifest(x, "web___db.mf");
        OvaPackage.Descriptor d = OvaPackage.descriptor(x, "web___db.ovf");
        assertThat(d.namespace()).isEqualTo(OvaPackage.OVF2);
        assertThat(d.name()).isEqualTo("web & db");
        assertThat(d.rasd("3", "VirtualQuantity")).isEqualTo("4");
        assertThat(d.rasd("4", "VirtualQuantity")).isEqualTo("4096");
        assertThat(d.rasd("5", "ElementName")).isNotNull();
        assertThat(d.itemsByType()).doesNotContainKeys("6", "10");
        assertThat(d.vmwConfig("firmware")).isEqualTo("efi");
        assertThat(d.systemType()).isEqualTo("vmx-19");
    }

    @Test
    void aLongNameIsCutSoThatEveryMemberNameFitsAUstarHeader() throws Exception {
        Path src = source();
        Path ova = dir.resolve("long.ova");
        OvaWriter.write(ova, settings("ova.name=" + "v".repeat(300)), copying(qemuDisk(src)), List.of(src), false);
        List<String> members = OvaPackage.members(ova);
        assertThat(members).hasSize(3).allSatisfy(m -> assertThat(m.length()).isLessThan(100));
        assertThat(members.get(2)).hasSize(99).endsWith("-disk1.vmdk");
        Path x = OvaPackage.extract(ova, dir.resolve("x"));
        OvaPackage.verifyManifest(x, members.get(1));
        assertThat(OvaPackage.descriptor(x, members.get(0)).name()).isEqualTo("v".repeat(300));
    }

    @Test
    void withoutAManifestTheDiskFollowsTheDescriptor() throws Exception {
        Path src = source();
        Path ova = dir.resolve("plain.ova");
        OvaWriter.write(ova, settings("ova.manifest=none"), copying(qemuDisk(src)), List.of(src), false);
        assertThat(OvaPackage.members(ova)).containsExactly("appliance.ovf", "appliance-disk1.vmdk");
    }

    @Test
    void theSameInputGivesTheSameBytes() throws Exception {
        Path src = source();
        Path disk = qemuDisk(src);
        OvaWriter.write(dir.resolve("a.ova"), settings(), copying(disk), List.of(src), false);
        OvaWriter.write(dir.resolve("b.ova"), settings(), copying(disk), List.of(src), false);
        assertThat(Digests.sha256(dir.resolve("a.ova"))).isEqualTo(Digests.sha256(dir.resolve("b.ova")));
    }

    @Test
    void aFailedDiskLeavesNoOvaNoScratchFileAndTheOldDestination() throws Exception {
        Path src = source();
        DiskWriter failing = (channel, path) -> {
            channel.write(ByteBuffer.wrap(new byte[1 << 20]), 0);
            throw new IOException("source went away");
        };
        Path ova = dir.resolve("new.ova");
        assertThatThrownBy(() -> OvaWriter.write(ova, settings(), failing, List.of(src), false))
                .hasMessageContaining("source went away");
        assertThat(ova).doesNotExist();
        Path old = dir.resolve("old.ova");
        Files.writeString(old, "previous package");
        assertThatThrownBy(() -> OvaWriter.write(old, settings(), failing, List.of(src), false))
                .hasMessageContaining("source went away");
        assertThat(Files.readString(old)).isEqualTo("previous package");
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("src.raw", "old.ova");
    }
}
