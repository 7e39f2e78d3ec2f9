package org.qimg.tests.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Reading OVAs: an appliance packed by GNU tar around a VMDK that qemu-img wrote, with a manifest made by
 * sha256sum, is listed by {@code info} and its disk (the default member, or named as {@code tar:OVA::MEMBER})
 * converts to what qemu-img reads from the VMDK itself; a manifest whose digest does not match refuses the
 * disk with one line, leaving no output.
 */
class OvaReadTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void appliance() throws Exception {
        Qemu.assumeInstalled();
        Path raw = dir.resolve("src.raw");
        Content.writeMixed(raw, 5 << 20, 31);
        Qemu q = new Qemu(dir);
        q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(),
                dir.resolve("app-disk1.vmdk").toString());
        Files.writeString(dir.resolve("app.ovf"), "<?xml version=\"1.0\"?><Envelope/>\n");
        sh("printf 'SHA256(%s)= %s\\n' app.ovf $(sha256sum app.ovf | cut -c1-64) app-disk1.vmdk"
                + " $(sha256sum app-disk1.vmdk | cut -c1-64) > app.mf");
        sh("tar --format=ustar -cf app.ova app.ovf app.mf app-disk1.vmdk");
        sh("printf 'SHA256(app-disk1.vmdk)= %064d\\n' 0 > bad.mf && mkdir -p bad && cp app.ovf app-disk1.vmdk bad/"
                + " && cp bad.mf bad/app.mf && tar --format=ustar -C bad -cf bad.ova app.ovf app.mf app-disk1.vmdk");
    }

    private static void sh(String script) {
        ProcResult r = Proc.run(dir, "sh", "-c", script);
        assertThat(r.exitCode()).as(r.describe()).isZero();
    }

    @Test
    void infoListsTheMembersAndTheDisk() {
        ProcResult r = Qimg.inProcess("info", "--output=json", dir.resolve("app.ova").toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(r.stdout()).contains("\"format\": \"tar member 'app-disk1.vmdk': vmdk\"").contains("\"app.ovf\"").contains("\"app.mf\"")
                .contains("\"app-disk1.vmdk\"");
    }

    @Test
    void theDefaultDiskAndTheNamedMemberReadAsQemuImgReadsTheVmdk() throws Exception {
        Path expected = dir.resolve("expected.raw");
        new Qemu(dir).img("convert", "-O", "raw", dir.resolve("app-disk1.vmdk").toString(), expected.toString());
        for (String src : new String[] {dir.resolve("app.ova").toString(),
                "tar:" + dir.resolve("app.ova") + "::app-disk1.vmdk"}) {
            Path out = dir.resolve("out-" + Math.abs(src.hashCode()) + ".qcow2");
            ProcResult r = Qimg.inProcess("convert", "-O", "qcow2", src, out.toString());
            assertThat(r.exitCode()).as(r.describe()).isZero();
            ProcResult cmp = Proc.run(dir, "qemu-img", "compare", expected.toString(), out.toString());
            assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
        }
    }

    @Test
    void aDigestThatDoesNotMatchTheManifestRefusesTheDisk() {
        Path out = dir.resolve("refused.raw");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve("bad.ova").toString(), out.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr().strip().lines().filter(l -> !l.contains("temporary file")))
                .singleElement().asString().contains("bad.ova").contains("app-disk1.vmdk")
                .contains("does not match the manifest");
        assertThat(out).doesNotExist();
    }

    @Test
    void anXzCompressedVmdkReadsAsQemuImgReadsTheVmdk() throws Exception {
        sh("xz -k -f -T0 app-disk1.vmdk");
        Path expected = dir.resolve("expected-xz.raw");
        new Qemu(dir).img("convert", "-O", "raw", dir.resolve("app-disk1.vmdk").toString(), expected.toString());
        Path out = dir.resolve("from-xz.raw");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve("app-disk1.vmdk.xz").toString(),
                out.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Files.mismatch(expected, out)).isEqualTo(-1L);
    }
}
