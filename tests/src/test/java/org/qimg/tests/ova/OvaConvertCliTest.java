package org.qimg.tests.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.TempFiles;
import org.qimg.tests.support.Tmpfs;

/**
 * {@code qimg convert -O ova} end to end, through qimg's own streamOptimized VMDK writer: the OVA unpacks with
 * GNU tar in VMware's order, its manifest verifies with sha256sum, its descriptor has the OVF envelope's
 * structure and sizes that match the files and what qemu-img reads, and the disk in it reads back identical
 * to the source with qemu-img compare and is accepted by libvmdk's vmdkinfo. Skipped while qimg cannot
 * write VMDK ({@code ImageFormats.writable("vmdk")}).
 */
class OvaConvertCliTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        Qemu.assumeInstalled();
        boolean vmdk;
        try {
            ImageFormats.writable("vmdk");
            vmdk = true;
        } catch (ImageException e) {
            vmdk = false;
        }
        Assumptions.assumeTrue(vmdk, "qimg cannot write vmdk yet");
    }

    /** 64 MiB: mixed data in the first 3 MiB and at 40 MiB, holes elsewhere, data in the last byte. */
    private Path source() throws IOException {
        Path src = dir.resolve("src.raw");
        Content.writeMixed(src, 3 << 20, 21);
        Content.writeRandomAt(src, 40L << 20, 300_000, 22);
        try (FileChannel ch = FileChannel.open(src, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {7}), (64L << 20) - 1);
        }
        return src;
    }

    private ProcResult qimg(String... args) {
        return Qimg.subprocess(dir, args);
    }

    private void assumeVmdkinfo() {
        Assumptions.assumeTrue(Proc.run(dir, "sh", "-c", "command -v vmdkinfo").exitCode() == 0,
                "vmdkinfo (libvmdk-utils) not installed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"raw", "qcow2"})
    void theOvaUnpacksVerifiesAndItsDiskReadsBackIdentical(String format) throws Exception {
        Path src = source();
        if (format.equals("qcow2")) {
            Path q = dir.resolve("src.qcow2");
            new Qemu(dir).img("convert", "-f", "raw", "-O", "qcow2", src.toString(), q.toString());
            src = q;
        }
        ProcResult r = qimg("convert", "-f", format, "-O", "ova", src.toString(), "app.ova");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stderr()).isEmpty();
        Path ova = dir.resolve("app.ova");
        assertThat(OvaPackage.members(ova)).containsExactly("app.ovf", "app.mf", "app-disk1.vmdk");
        assertThat(OvaPackage.listing(ova)).allSatisfy(l -> assertThat(l).startsWith("-rw-r--r-- 0/0 "));

        Path x = OvaPackage.extract(ova, dir.resolve("x"));
        assertThat(OvaPackage.verifyManifest(x, "app.mf")).containsExactly("app.ovf", "app-disk1.vmdk");
        OvaPackage.Descriptor d = OvaPackage.descriptor(x, "app.ovf");
        Path disk = x.resolve(d.diskHref());
        assertThat(d.fileSize()).isEqualTo(Files.size(disk));
        assertThat(d.capacity()).isEqualTo(OvaPackage.virtualSize(dir, src)).isEqualTo(64L << 20);
        assertThat(d.populatedSize()).isEqualTo(OvaPackage.mappedData(dir, disk)).isGreaterThan(0);
        assertThat(d.name()).isEqualTo("app");

        String info = new Qemu(dir).img("info", "--output=json", disk.toString());
        assertThat(info).contains("\"format\": \"vmdk\"").contains("streamOptimized");
        new Qemu(dir).img("compare", "-f", format, "-F", "vmdk", src.toString(), disk.toString());
        assumeVmdkinfo();
        ProcResult vi = Proc.run(dir, "vmdkinfo", disk.toString());
        assertThat(vi.exitCode()).as(vi.describe()).isZero();
        assertThat(vi.stdout()).contains("Stream optimized").contains("(67108864 bytes)");
    }

    @Test
    void optionsReachTheDescriptorAndTheNameComesFromTheDestination() throws Exception {
        Path src = source();
        ProcResult r = qimg("convert", "-O", "ova", "-o", "ova.cpus=1,ova.memory=1024,ova.firmware=efi",
                "-o", "ova.controller=pvscsi,ova.nic=e1000", "--verify", src.toString(), "my vm.OVA");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        Path ova = dir.resolve("my vm.OVA");
        assertThat(OvaPackage.members(ova)).containsExactly("my_vm.ovf", "my_vm.mf", "my_vm-disk1.vmdk");
        Path x = OvaPackage.extract(ova, dir.resolve("x"));
        OvaPackage.verifyManifest(x, "my_vm.mf");
        OvaPackage.Descriptor d = OvaPackage.descriptor(x, "my_vm.ovf");
        assertThat(d.name()).isEqualTo("my vm");
        assertThat(d.rasd("3", "VirtualQuantity")).isEqualTo("1");
        assertThat(d.rasd("4", "VirtualQuantity")).isEqualTo("1024");
        assertThat(d.rasd("6", "ResourceSubType")).isEqualTo("VirtualSCSI");
        assertThat(d.rasd("10", "ResourceSubType")).isEqualTo("E1000");
        assertThat(d.vmwConfig("firmware")).isEqualTo("efi");
        Path disk = x.resolve(d.diskHref());
        new Qemu(dir).img("compare", "-f", "raw", "-F", "vmdk", src.toString(), disk.toString());
        // the VMDK's embedded descriptor names its extent as the file is called in the OVA
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(disk), 64 << 10);
        assertThat(new String(head, java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains("SPARSE \"my_vm-disk1.vmdk\"");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("src.raw", "my vm.OVA",
                    "x");
        }
    }

    /** With SOURCE_DATE_EPOCH set, the same source gives the same OVA, byte for byte, whatever the threads. */
    @Test
    void reproducibleWithSourceDateEpoch() throws Exception {
        Path src = source();
        for (String threads : new String[] {"1", "2"}) {
            Path out = Files.createDirectory(dir.resolve("m" + threads));
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("env",
                    "SOURCE_DATE_EPOCH=1700000000"));
            cmd.addAll(Qimg.command("convert", "-m", threads, "-O", "ova", src.toString(), "same.ova"));
            Proc.run(out, cmd).requireSuccess();
        }
        assertThat(Digests.sha256(dir.resolve("m1/same.ova"))).isEqualTo(Digests.sha256(dir.resolve("m2/same.ova")));
        assertThat(OvaPackage.listing(dir.resolve("m1/same.ova"))).allSatisfy(l -> assertThat(l).contains(" 2023-11-1"));
    }

    /** Neither SIGKILL nor SIGTERM while the disk is written leaves an OVA or a scratch file; SIGTERM exits 1. */
    @Test
    void killedWhileWritingTheDiskLeavesNothing() throws Exception {
        Path src = dir.resolve("random.raw");
        Content.writeRandomAt(src, 0, 96 << 20, 24);
        for (boolean sigkill : new boolean[] {true, false}) {
            Process p = new ProcessBuilder(Qimg.command("convert", "-m", "1", "-O", "ova", "random.raw", "k.ova"))
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile())
                    .start();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            boolean grown = false;
            while (!grown && p.isAlive() && System.nanoTime() < deadline) {
                for (Path f : TempFiles.openBy(p.pid(), dir, "k.ova")) {
                    try {
                        grown |= Files.size(f) > (4 << 20);
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
                Thread.sleep(2);
            }
            assertThat(grown).as("the disk was being written: %s", Files.readString(dir.resolve("log.txt")))
                    .isTrue();
            if (sigkill) {
                p.destroyForcibly();
            } else {
                p.destroy();
            }
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            if (!sigkill) {
                assertThat(p.exitValue()).isNotZero();
            }
            assertThat(dir.resolve("k.ova")).doesNotExist();
            assertThat(TempFiles.hidden(dir, "k.ova")).isEmpty();
        }
    }

    /**
     * The disk (16 MiB of random data, incompressible) does not fit an 8 MiB file system: the convert fails
     * while writing the disk; on 24 MiB it fits, and the OVA that should follow it does not: the convert fails
     * while packing. Either way nothing is left.
     */
    @ParameterizedTest
    @ValueSource(strings = {"8m", "24m"})
    void runningOutOfSpaceLeavesNoOvaAndNoScratchFile(String size) throws Exception {
        Path src = dir.resolve("random.raw");
        Content.writeRandomAt(src, 0, 16 << 20, 23); // incompressible: the disk needs 16 MiB
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        try (Tmpfs t = Tmpfs.mount(mnt, size)) {
            ProcResult r = qimg("convert", "-O", "ova", src.toString(), "mnt/full.ova");
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
            assertThat(r.stderrLines()).hasSize(1);
            assertThat(r.stderr()).startsWith("qimg: 'mnt/full.ova': error while writing at byte ")
                    .endsWith(": No space left on device (no file was created)\n").doesNotContain("Exception");
            try (var files = Files.list(mnt)) {
                assertThat(files).isEmpty();
            }
        }
    }
}
