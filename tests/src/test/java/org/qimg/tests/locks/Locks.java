package org.qimg.tests.locks;

import static org.assertj.core.api.Assertions.assertThat;

import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/** Runs one command through qemu-img and qimg and requires the same exit code and the same stderr. */
final class Locks {
    private Locks() {
    }

    /**
     * Runs {@code qemu-img ARGS}, then qimg (in this JVM) with the same arguments, which must use absolute
     * paths; requires the same exit code and stderr (qemu-img's "qemu-img: " read as "qimg: "). Returns qimg's
     * result.
     */
    static ProcResult assertSameAsQemuImg(Qemu qemu, String... args) {
        ProcResult q = qemu.imgResult(args);
        ProcResult m = Qimg.inProcess(args);
        String expected = q.stderr().replaceAll("(?m)^qemu-img: ", "qimg: ");
        assertThat(m.exitCode()).as("exit code of qimg %s\nqemu-img: %s\nqimg: %s", String.join(" ", args),
                q.describe(), m.describe()).isEqualTo(q.exitCode());
        if (q.exitCode() != 0) {
            assertThat(m.stderr()).as("stderr of qimg %s", String.join(" ", args)).isEqualTo(expected);
        }
        return m;
    }
}
