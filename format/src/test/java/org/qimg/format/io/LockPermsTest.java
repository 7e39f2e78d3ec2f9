package org.qimg.format.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bytes QEMU 7.2 locks for each kind of open, as observed in {@code /proc/locks} and with strace on
 * qemu-img, qemu-io and qemu-system-x86_64 (see the README's note on locks).
 */
class LockPermsTest {

    private static List<Integer> bytes(LockPerms p) {
        return p.lockedBytes();
    }

    @Test
    void qcow2FilesNeverShareWriteOrResize() {
        assertThat(bytes(LockPerms.METADATA.qcow2File(false))).containsExactly(201, 203); // info
        assertThat(bytes(LockPerms.READ.qcow2File(false))).containsExactly(100, 201, 203); // map, check
        assertThat(bytes(LockPerms.READ_UNSHARED.qcow2File(false))).containsExactly(100, 201, 203); // convert src
        assertThat(bytes(LockPerms.WRITE_SHARED.qcow2File(false))).containsExactly(100, 101, 103, 201, 203);
    }

    @Test
    void rawFilesCarryTheCommandsOwnPermissions() {
        assertThat(bytes(LockPerms.METADATA.rawFile(false))).isEmpty(); // info
        assertThat(bytes(LockPerms.READ.rawFile(false))).containsExactly(100); // map, compare, measure
        assertThat(bytes(LockPerms.READ_UNSHARED.rawFile(false))).containsExactly(100, 201, 203); // convert src
        assertThat(bytes(LockPerms.WRITE_SHARED.rawFile(false))).containsExactly(100, 101); // convert -n target
    }

    @Test
    void forceShareKeepsOnlyThePermissionBytes() {
        assertThat(bytes(LockPerms.METADATA.qcow2File(true))).isEmpty(); // info -U
        assertThat(LockPerms.METADATA.qcow2File(true).isEmpty()).isTrue();
        assertThat(bytes(LockPerms.READ.qcow2File(true))).containsExactly(100); // map -U
        assertThat(bytes(LockPerms.READ_UNSHARED.rawFile(true))).containsExactly(100); // convert -U, raw source
    }

    @Test
    void dataFilesShareWriteButNotResize() {
        assertThat(bytes(LockPerms.READ.qcow2DataFile(false))).containsExactly(100, 203);
        assertThat(bytes(LockPerms.WRITE_SHARED.qcow2DataFile(false))).containsExactly(100, 101, 103, 203);
        assertThat(bytes(LockPerms.METADATA.qcow2DataFile(false))).isEmpty();
    }

    @Test
    void theCreateStepOfAnExistingTarget() {
        assertThat(bytes(LockPerms.CREATE)).containsExactly(101, 103, 203);
        assertThat(LockPerms.CREATE.probes()).extracting(LockPerms.Probe::offset).containsExactly(201, 203, 103);
    }

    @Test
    void probesComeInQemusOrderWithItsMessages() {
        assertThat(LockPerms.WRITE_SHARED.qcow2File(false).probes()).containsExactly(
                new LockPerms.Probe(200, "Failed to get \"consistent read\" lock"),
                new LockPerms.Probe(201, "Failed to get \"write\" lock"),
                new LockPerms.Probe(203, "Failed to get \"resize\" lock"),
                new LockPerms.Probe(101, "Failed to get shared \"write\" lock"),
                new LockPerms.Probe(103, "Failed to get shared \"resize\" lock"));
        assertThat(LockPerms.METADATA.qcow2File(false).probes()).extracting(LockPerms.Probe::offset)
                .containsExactly(101, 103);
        assertThat(LockPerms.NONE.probes()).isEmpty();
    }

    @Test
    void onlyQemu72sFourPermissionsExist() {
        assertThatThrownBy(() -> new LockPerms(0x10, LockPerms.ALL)).isInstanceOf(IllegalArgumentException.class);
        assertThat(LockPerms.ALL).isEqualTo(0xf);
    }
}
