package org.qimg.tests.foreign;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * A qcow2 whose backing file is of a format qimg does not read must be refused, not read through as raw
 * (a vmdk backing file, which qimg reads since issue 12, is read as qemu-img reads it):
 * whether the backing format is absent from the header (the backing file is probed, as qemu-img does) or
 * named in it. {@code info} without {@code --backing-chain} does not open the backing file and still works.
 */
class ForeignBackingTest {
    private static Path dir;

    @BeforeAll
    static void images() throws Exception {
        Qemu.assumeInstalled();
        dir = ForeignFiles.dir();
        Qemu q = new Qemu(dir);
        q.img("create", "-q", "-f", "qcow2", "-b", "vmdk-monolithicSparse.vmdk", "-F", "vmdk", "over-vmdk-named.qcow2");
        q.img("create", "-q", "-f", "qcow2", "-b", "vmdk-monolithicSparse.vmdk", "-F", "vmdk",
                "over-vmdk-probed.qcow2");
        dropBackingFormat(dir.resolve("over-vmdk-probed.qcow2"));
        q.img("create", "-q", "-f", "qcow2", "-b", "data-fixed-vhd.vpc", "-F", "vpc", "over-vhd-probed.qcow2");
        dropBackingFormat(dir.resolve("over-vhd-probed.qcow2"));
        // the oracle agrees that the format is gone from the header (it would probe the vmdk and read it)
        assertThat(q.img("info", "over-vmdk-probed.qcow2")).contains("backing file: vmdk-monolithicSparse.vmdk")
                .doesNotContain("backing file format");
    }

    /**
     * Turns the backing-format header extension (type 0xe2792aca, found after the v3 header whose length is
     * at offset 100) into an unknown extension type, which readers skip: the header then names no format.
     */
    private static void dropBackingFormat(Path image) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.seek(100);
            long pos = f.readInt();
            while (true) {
                f.seek(pos);
                int type = f.readInt();
                int len = f.readInt();
                if (type == 0) {
                    throw new AssertionError(image + " has no backing format extension");
                }
                if (type == 0xe2792aca) {
                    f.seek(pos);
                    f.writeInt(0x7fff0001); // an extension type no one defines
                    return;
                }
                pos += 8 + ((len + 7) & ~7);
            }
        }
    }

    static Stream<Arguments> overlaysAndCommands() {
        List<Arguments> out = new ArrayList<>();
        for (String[] o : new String[][] {{"over-vhd-probed.qcow2", "data-fixed-vhd.vpc", "'vpc'"}}) {
            for (List<String> cmd : List.of(List.of("convert", "-O", "raw"), List.of("map"), List.of("compare"),
                    List.of("checksum"), List.of("info", "--backing-chain"), List.of("measure", "-O", "qcow2"))) {
                out.add(Arguments.of(o[0], o[1], o[2], cmd));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{3} refuses {0}")
    @MethodSource("overlaysAndCommands")
    void backingFileOfAForeignFormatIsRefused(String overlay, String backing, String format, List<String> command)
            throws Exception {
        Path target = dir.resolve("backing-out.raw");
        Files.deleteIfExists(target);
        List<String> args = new ArrayList<>(command);
        args.add(dir.resolve(overlay).toString());
        if (command.get(0).equals("convert")) {
            args.add(target.toString());
        } else if (command.get(0).equals("compare")) {
            args.add(dir.resolve(ForeignFiles.SOURCE).toString());
        }

        ProcResult r = Qimg.inProcess(args.toArray(String[]::new));

        int exit = command.get(0).equals("compare") ? 2 : 1;
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(exit);
        assertThat(r.stderrLines()).as(r.describe()).hasSize(1);
        assertThat(r.stderr()).as(r.describe()).contains(backing).contains("image format " + format)
                .contains("not supported by qimg").doesNotContain("\tat ");
        if (!command.get(0).equals("info")) {
            assertThat(r.stderr()).as("names the overlay too").contains(overlay);
            if (overlay.contains("probed")) {
                // -f raw would read the overlay as raw: the advice is about the backing format
                assertThat(r.stderr()).contains("-F raw").doesNotContain("-f raw");
            }
        }
        assertThat(target).doesNotExist();
    }

    @ParameterizedTest(name = "info {0} without the chain")
    @MethodSource("overlays")
    void infoDoesNotOpenTheBackingFile(String overlay) {
        ProcResult r = Qimg.inProcess("info", dir.resolve(overlay).toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("backing file: ");
    }

    /**
     * Since issue 12 qimg reads vmdk: a qcow2 over a VMDK, with the backing format named or probed, reads as
     * qemu-img reads it.
     */
    @ParameterizedTest(name = "{0} reads through its vmdk backing file")
    @MethodSource("vmdkOverlays")
    void vmdkBackingFileIsRead(String overlay) throws Exception {
        Path ours = dir.resolve(overlay + ".qimg.raw");
        Path theirs = dir.resolve(overlay + ".qemu.raw");
        new Qemu(dir).img("convert", "-O", "raw", overlay, theirs.toString());
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve(overlay).toString(), ours.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Files.mismatch(ours, theirs)).isEqualTo(-1L);
        String chain = new Qemu(dir).img("info", "--backing-chain", "--output=json", overlay);
        ProcResult info = Qimg.inProcess("info", "--backing-chain", "--output=json", dir.resolve(overlay).toString());
        assertThat(info.exitCode()).as(info.describe()).isZero();
        assertThat(info.stdout()).contains("\"format\": \"vmdk\"");
        assertThat(chain).contains("\"format\": \"vmdk\"");
    }

    static Stream<String> vmdkOverlays() {
        return Stream.of("over-vmdk-named.qcow2", "over-vmdk-probed.qcow2");
    }

    static Stream<String> overlays() {
        return Stream.of("over-vmdk-named.qcow2", "over-vmdk-probed.qcow2", "over-vhd-probed.qcow2");
    }
}
