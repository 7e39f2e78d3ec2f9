package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Issue 13: tar archives (and OVAs, which are tars) made by GNU tar. {@code info} lists the members; a member
 * is named as {@code tar:ARCHIVE::MEMBER}; an archive holding one disk (besides .ovf/.mf files) opens that
 * disk by default; raw and qcow2 members convert to what qemu-img makes of the member file itself, from a
 * plain tar and from a gzip-compressed one, including a sparse member ({@code tar -S}, the GCE import
 * tarball's layout). A member in a format qimg does not read is a clear error.
 */
class TarMemberTest {
    private static Path dir;
    private static Qemu qemu;

    @BeforeAll
    static void files() {
        dir = ContainerFiles.dir();
        qemu = new Qemu(dir);
        ContainerFiles.sh("[ -f two.tar ] || tar --format=gnu -cf two.tar disk.raw disk.qcow2");
        ContainerFiles.sh("[ -f two.tar.gz ] || tar --format=posix -czf two.tar.gz disk.raw disk.qcow2");
        ContainerFiles.sh("[ -f appliance.ovf ] || echo '<Envelope/>' > appliance.ovf;"
                + " [ -f appliance.ova ] || tar --format=ustar -cf appliance.ova appliance.ovf disk.qcow2");
        // the GCE import layout: disk.raw, sparse, in a gzip-compressed GNU tar
        ContainerFiles.sh("mkdir -p gce && cp --sparse=always disk.raw gce/disk.raw && "
                + "[ -f gce.tar.gz ] || tar --format=oldgnu -Sczf gce.tar.gz -C gce disk.raw");
        qemu.img("convert", "-f", "raw", "-O", "vmdk", "disk.raw", "disk.vmdk");
        ContainerFiles.sh("[ -f vmdk.ova ] || tar --format=ustar -cf vmdk.ova appliance.ovf disk.vmdk");
    }

    @Test
    void infoListsTheMembers() {
        ProcResult r = Qimg.inProcess("info", "--output=json", dir.resolve("two.tar").toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("\"name\": \"disk.raw\"").contains("\"name\": \"disk.qcow2\"");
        ProcResult human = Qimg.inProcess("info", dir.resolve("two.tar.gz").toString());
        assertThat(human.exitCode()).as(human.describe()).isZero();
        assertThat(human.stdout()).contains("disk.raw").contains("disk.qcow2");
    }

    @Test
    void membersConvertAsTheMemberFileDoes() {
        for (String archive : new String[] {"two.tar", "two.tar.gz"}) {
            for (String[] m : new String[][] {{"disk.raw", "raw"}, {"disk.qcow2", "qcow2"}}) {
                Path ours = dir.resolve("member-" + archive + "-" + m[0] + ".qcow2");
                Path theirs = dir.resolve("member-ref-" + m[0] + ".qcow2");
                qemu.img("convert", "-f", m[1], "-c", "-O", "qcow2", m[0], theirs.toString());
                ProcResult r = Qimg.inProcess("convert", "-c", "-O", "qcow2",
                        "tar:" + dir.resolve(archive) + "::" + m[0], ours.toString());
                assertThat(r.exitCode()).as(r.describe()).isZero();
                assertThat(Digests.md5(ours)).as(archive + " " + m[0]).isEqualTo(Digests.md5(theirs));
            }
        }
    }

    @Test
    void anOvaWithOneDiskOpensThatDisk() {
        Path ours = dir.resolve("ova-default.raw");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve("appliance.ova").toString(), ours.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Digests.md5(ours)).isEqualTo(Digests.md5(dir.resolve(ContainerFiles.RAW)));
        ProcResult info = Qimg.inProcess("info", dir.resolve("appliance.ova").toString());
        assertThat(info.stdout()).contains("file format: tar member 'disk.qcow2': qcow2");
    }

    @Test
    void theSparseGceTarballReadsAsTheDisk() {
        Path ours = dir.resolve("gce.raw");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve("gce.tar.gz").toString(), ours.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Digests.md5(ours)).isEqualTo(Digests.md5(dir.resolve(ContainerFiles.RAW)));
    }

    @Test
    void severalDisksWithoutANameIsAnErrorListingThem() {
        Path out = dir.resolve("none.raw");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve("two.tar").toString(), out.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderrLines()).hasSize(1);
        assertThat(r.stderr()).contains("disk.raw, disk.qcow2").contains("tar:");
        assertThat(out).doesNotExist();
    }

    @Test
    void aMissingMemberIsAClearErrorAndAVmdkMemberReadsAsQemuImgReadsIt() throws Exception {
        ProcResult missing = Qimg.inProcess("info", "tar:" + dir.resolve("two.tar") + "::nope.img");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.stderr()).contains("no member 'nope.img'").contains("disk.raw");
        // qimg reads vmdk since issue 12: the OVA's only disk is its default member
        Path out = dir.resolve("vmdk.raw");
        ProcResult vmdk = Qimg.inProcess("convert", "-O", "raw", dir.resolve("vmdk.ova").toString(), out.toString());
        assertThat(vmdk.exitCode()).as(vmdk.describe()).isZero();
        ProcResult cmp = Proc.run(dir, "qemu-img", "compare", "-f", "vmdk", "-F", "raw",
                dir.resolve("disk.vmdk").toString(), out.toString());
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }
}
