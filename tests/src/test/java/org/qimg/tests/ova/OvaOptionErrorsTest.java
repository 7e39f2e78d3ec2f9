package org.qimg.tests.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;

/**
 * {@code convert -O ova} refuses what it cannot honour before it opens a source or creates a file: one line
 * naming the option and what it expects, exit 1, no OVA, no temporary file.
 */
class OvaOptionErrorsTest {
    @TempDir
    Path dir;

    private ProcResult convert(String... args) throws Exception {
        Files.write(dir.resolve("src.raw"), new byte[1 << 20]);
        String[] all = new String[args.length + 4];
        all[0] = "convert";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "-O";
        all[args.length + 2] = "ova";
        all[args.length + 3] = dir.resolve("src.raw").toString();
        String[] withDst = java.util.Arrays.copyOf(all, all.length + 1);
        withDst[all.length] = dir.resolve("out.ova").toString();
        return Qimg.inProcess(withDst);
    }

    private void assertCleanError(ProcResult r, String message) throws Exception {
        assertThat(r.exitCode()).as(r.describe()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("qimg: " + message + "\n");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("src.raw");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ova.cpus=0|ova.cpus: expected a whole number from 1 to 768, not '0'",
        "ova.memory=3|ova.memory: expected MiB from 4 to 25165824, a multiple of 4 (e.g. 2048 or 2G), not '3'",
        "ova.firmware=uefi|ova.firmware: expected one of bios, efi, not 'uefi'",
        "ova.controller=nvme|ova.controller: expected one of lsilogic, lsilogicsas, pvscsi, buslogic, ide, not 'nvme'",
        "ova.nic=rtl8139|ova.nic: expected one of vmxnet3, e1000, e1000e, not 'rtl8139'",
        "ova.ovf-version=0.9|ova.ovf-version: expected one of 1.0, 2.0, not '0.9'",
        "ova.manifest=md5|ova.manifest: expected one of sha1, sha256, sha512, none, not 'md5'",
        "ova.hw-version=3|ova.hw-version: expected a whole number from 4 to 99, not '3'",
        "subformat=monolithicFlat|-O ova: the disk of an OVA is a streamOptimized VMDK, not subformat=monolithicFlat",
    })
    void badOptionValues(String option, String message) throws Exception {
        assertCleanError(convert("-o", option), message);
    }

    @Test
    void unknownOvaKeyNamesTheKnownOnes() throws Exception {
        ProcResult r = convert("-o", "ova.ram=4096");
        assertThat(r.stderr()).startsWith("qimg: Invalid parameter 'ova.ram' for -O ova (known: ova.name, ova.cpus,");
        assertCleanError(r, r.stderr().substring("qimg: ".length()).strip());
    }

    @Test
    void anOvaIsAlwaysANewStandaloneFile() throws Exception {
        assertCleanError(convert("-n"), "-O ova writes a new package: -n (write into an existing image) is not"
                + " possible");
        assertCleanError(convert("-B", "base.qcow2", "-F", "qcow2"),
                "-O ova: the disk in an OVA stands alone; it cannot have a backing file (-B)");
    }
}
