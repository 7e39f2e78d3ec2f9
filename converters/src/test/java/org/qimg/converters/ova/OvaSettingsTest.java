package org.qimg.converters.ova;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.qimg.format.ImageException;

class OvaSettingsTest {
    private static OvaSettings parse(String... options) throws ImageException {
        return OvaSettings.parse(List.of(options), "appliance", 1_700_000_000L);
    }

    @Test
    void defaultsAreVmwareSafe() throws Exception {
        OvaSettings s = parse();
        assertThat(s.name()).isEqualTo("appliance");
        assertThat(s.cpus()).isEqualTo(2);
        assertThat(s.memoryMiB()).isEqualTo(2048);
        assertThat(s.firmware()).isEqualTo(OvaSettings.Firmware.BIOS);
        assertThat(s.controller()).isEqualTo(OvaSettings.Controller.LSILOGIC);
        assertThat(s.network()).isEqualTo("VM Network");
        assertThat(s.nic()).isEqualTo(OvaSettings.Nic.VMXNET3);
        assertThat(s.osType()).isEqualTo("other3xLinux64Guest");
        assertThat(s.osId()).isEqualTo(100);
        assertThat(s.hwVersion()).isEqualTo(13);
        assertThat(s.ovfVersion()).isEqualTo(OvaSettings.OvfVersion.V1);
        assertThat(s.digest()).isEqualTo(OvaSettings.Digest.SHA256);
        assertThat(s.diskOptions()).containsExactly("subformat=streamOptimized");
    }

    @Test
    void readsOvaKeysAndPassesTheRestToTheVmdkWriter() throws Exception {
        OvaSettings s = parse("ova.cpus=4,ova.memory=1G,adapter_type=lsilogic", "ova.firmware=EFI,ova.controller=ide",
                "ova.network=none,ova.name=My VM,ova.os-type=windows9_64Guest,ova.ovf-version=2.0",
                "ova.manifest=sha1,toolsversion=12,,3,subformat=streamOptimized,ova.hw-version=19");
        assertThat(s.cpus()).isEqualTo(4);
        assertThat(s.memoryMiB()).isEqualTo(1024);
        assertThat(s.firmware()).isEqualTo(OvaSettings.Firmware.EFI);
        assertThat(s.controller()).isEqualTo(OvaSettings.Controller.IDE);
        assertThat(s.network()).isNull();
        assertThat(s.name()).isEqualTo("My VM");
        assertThat(s.osType()).isEqualTo("windows9_64Guest");
        assertThat(s.osId()).isEqualTo(1); // "Other" unless ova.os-id says better
        assertThat(s.ovfVersion()).isEqualTo(OvaSettings.OvfVersion.V2);
        assertThat(s.digest()).isEqualTo(OvaSettings.Digest.SHA1);
        assertThat(s.hwVersion()).isEqualTo(19);
        assertThat(s.diskOptions()).containsExactly("adapter_type=lsilogic", "toolsversion=12,,3",
                "subformat=streamOptimized");
    }

    @Test
    void badValuesGiveOneLineErrorsNamingTheKey() throws Exception {
        assertThatThrownBy(() -> parse("ova.cpus=lots"))
                .isInstanceOf(ImageException.class)
                .hasMessage("ova.cpus: expected a whole number from 1 to 768, not 'lots'");
        assertThatThrownBy(() -> parse("ova.memory=1001"))
                .hasMessage("ova.memory: expected MiB from 4 to 25165824, a multiple of 4 (e.g. 2048 or 2G), not"
                        + " '1001'");
        assertThatThrownBy(() -> parse("ova.memory=1.5k")).hasMessageStartingWith("ova.memory: expected MiB");
        assertThatThrownBy(() -> parse("ova.firmware=coreboot"))
                .hasMessage("ova.firmware: expected one of bios, efi, not 'coreboot'");
        assertThatThrownBy(() -> parse("ova.controller=nvme"))
                .hasMessage("ova.controller: expected one of lsilogic, lsilogicsas, pvscsi, buslogic, ide, not 'nvme'");
        assertThatThrownBy(() -> parse("ova.ovf-version=3")).hasMessage(
                "ova.ovf-version: expected one of 1.0, 2.0, not '3'");
        assertThatThrownBy(() -> parse("ova.name=a\tb")).hasMessageStartingWith("ova.name: expected a name");
        assertThatThrownBy(() -> parse("ova.name=a\ud800b")).hasMessageStartingWith("ova.name: expected a name");
        assertThatThrownBy(() -> parse("ova.network=\uffff")).hasMessageStartingWith("ova.network: expected");
        assertThat(parse("ova.name=caf\u00e9 \ud83d\ude00").name()).isEqualTo("caf\u00e9 \ud83d\ude00");
        assertThatThrownBy(() -> parse("ova.os-type=<x>")).hasMessageStartingWith("ova.os-type: expected a VMware");
        assertThatThrownBy(() -> parse("ova.cpu=2")).hasMessageStartingWith("Invalid parameter 'ova.cpu' for -O ova");
        assertThatThrownBy(() -> parse("subformat=monolithicSparse"))
                .hasMessage("-O ova: the disk of an OVA is a streamOptimized VMDK, not subformat=monolithicSparse");
    }

    @Test
    void memberNamesAreSafeRelativeUrisThatFitAUstarHeader() throws Exception {
        assertThat(parse("ova.name=My VM/ü&x").memberBase()).isEqualTo("My_VM___x");
        assertThat(parse("ova.name=.hidden").memberBase()).isEqualTo("_hidden");
        String base = parse("ova.name=" + "n".repeat(300)).memberBase();
        assertThat(base + OvaSettings.DISK_SUFFIX).hasSize(OvaSettings.MAX_MEMBER_NAME);
    }
}
