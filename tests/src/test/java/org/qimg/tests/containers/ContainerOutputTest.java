package org.qimg.tests.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * Issue 13: {@code -o container=xz|zstd|gzip} wraps a raw target in a compressed file that the tool itself
 * decompresses to the disk (judged by xz, zstd and gzip, not by qimg), only when asked: a DST named
 * {@code .xz} without the option is plain raw.
 */
class ContainerOutputTest {
    private static Path dir;

    @BeforeAll
    static void files() {
        dir = ContainerFiles.dir();
    }

    @ParameterizedTest(name = "container={0}")
    @CsvSource({"xz,xz -dc", "zstd,zstd -qdc", "gzip,gzip -dc"})
    void theToolDecompressesItToTheDisk(String container, String decompress) {
        String out = "wrapped." + container;
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", "-o", "container=" + container,
                dir.resolve(ContainerFiles.QCOW2).toString(), dir.resolve(out).toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        ContainerFiles.sh(decompress + " < " + out + " > " + out + ".back");
        assertThat(Digests.md5(dir.resolve(out + ".back"))).isEqualTo(Digests.md5(dir.resolve(ContainerFiles.RAW)));
        // and qimg reads it back
        ProcResult cmp = Qimg.inProcess("compare", dir.resolve(out).toString(), dir.resolve(ContainerFiles.RAW).toString());
        assertThat(cmp.exitCode()).as(cmp.describe()).isZero();
    }

    @Test
    void theNameAloneChoosesNothing() throws Exception {
        Path out = dir.resolve("named.raw.xz");
        ProcResult r = Qimg.inProcess("convert", "-O", "raw", dir.resolve(ContainerFiles.QCOW2).toString(),
                out.toString());
        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(Files.mismatch(out, dir.resolve(ContainerFiles.RAW))).isEqualTo(-1L);
    }

    @Test
    void aContainerNeedsRawAndANewFile() {
        ProcResult qcow2 = Qimg.inProcess("convert", "-O", "qcow2", "-o", "container=xz",
                dir.resolve(ContainerFiles.RAW).toString(), dir.resolve("never.qcow2").toString());
        assertThat(qcow2.exitCode()).isEqualTo(1);
        assertThat(qcow2.stderr()).contains("-O raw");
        ProcResult bad = Qimg.inProcess("convert", "-O", "raw", "-o", "container=rar",
                dir.resolve(ContainerFiles.RAW).toString(), dir.resolve("never.raw").toString());
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.stderr()).contains("'rar'");
        assertThat(dir.resolve("never.qcow2")).doesNotExist();
        assertThat(dir.resolve("never.raw")).doesNotExist();
    }
}
