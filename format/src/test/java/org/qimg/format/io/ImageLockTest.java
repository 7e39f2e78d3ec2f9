package org.qimg.format.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.ImageLockException;

/**
 * OFD locks conflict between open file descriptions even inside one process, so two {@link ImageLock}s on
 * one file here behave as qimg and QEMU do across processes.
 */
@SuppressWarnings("try") // locks and holders are try resources held for a block, not used in it
class ImageLockTest {
    @TempDir
    Path dir;
    private Path file;

    @BeforeEach
    void file() throws IOException {
        assumeThat(Files.isReadable(Path.of("/proc/locks"))).as("Linux /proc/locks").isTrue();
        file = dir.resolve("img");
        Files.write(file, new byte[4096]);
    }

    /** The bytes locked on {@code file}, from /proc/locks (OFD locks, matched by inode). */
    private static TreeSet<Long> locked(Path file) throws IOException {
        long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        TreeSet<Long> bytes = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[1].equals("OFDLCK") && f[5].endsWith(":" + ino)) {
                for (long b = Long.parseLong(f[6]); b <= Long.parseLong(f[7]); b++) {
                    bytes.add(b);
                }
            }
        }
        return bytes;
    }

    private static long openDescriptors() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void holdsItsBytesUntilClosedAndLeaksNoDescriptor() throws IOException {
        long fds = openDescriptors();
        try (ImageLock lock = ImageLock.acquire(file, LockPerms.WRITE_SHARED.qcow2File(false))) {
            assertThat(locked(file)).containsExactly(100L, 101L, 103L, 201L, 203L);
            assertThat(lock.perms()).isEqualTo(LockPerms.WRITE_SHARED.qcow2File(false));
        }
        assertThat(locked(file)).isEmpty();
        assertThat(openDescriptors()).isEqualTo(fds);
    }

    @Test
    void aWriterStopsReadersThatDoNotShareWriteWithQemusMessage() throws IOException {
        try (ImageLock writer = ImageLock.acquire(file, LockPerms.WRITE_SHARED.qcow2File(false))) {
            assertThatThrownBy(() -> ImageLock.acquire(file, LockPerms.READ.qcow2File(false)))
                    .isInstanceOf(ImageLockException.class)
                    .hasMessage("Could not open '" + file + "': Failed to get shared \"write\" lock")
                    .satisfies(e -> assertThat(((ImageLockException) e).hint())
                            .isEqualTo("Is another process using the image [" + file + "]?\n"));
            // a raw reader shares writes, and -U shares everything
            ImageLock.acquire(file, LockPerms.READ.rawFile(false)).close();
            ImageLock.acquire(file, LockPerms.READ.qcow2File(true)).close();
            // the refused open left nothing behind
            assertThat(locked(file)).containsExactly(100L, 101L, 103L, 201L, 203L);
        }
    }

    @Test
    void aReaderThatDoesNotShareWriteStopsWriters() throws IOException {
        try (ImageLock reader = ImageLock.acquire(file, LockPerms.READ.qcow2File(false))) {
            for (LockPerms writer : List.of(LockPerms.WRITE_SHARED.qcow2File(false),
                    LockPerms.WRITE_SHARED.rawFile(false), LockPerms.CREATE)) {
                assertThatThrownBy(() -> ImageLock.acquire(file, writer))
                        .hasMessageEndingWith(": Failed to get \"write\" lock");
            }
        }
        ImageLock.acquire(file, LockPerms.CREATE).close();
    }

    @Test
    void aRefusedChangeKeepsTheOldLocks() throws IOException {
        try (ImageLock mine = ImageLock.acquire(file, LockPerms.CREATE);
             ImageLock other = ImageLock.acquire(file, LockPerms.READ.rawFile(false))) {
            assertThat(locked(file)).containsExactly(100L, 101L, 103L, 203L);
            // the qcow2 target's locks refuse to share write, which the raw reader (100) does not stop...
            mine.change(LockPerms.WRITE_SHARED.qcow2File(false));
            assertThat(locked(file)).containsExactly(100L, 101L, 103L, 201L, 203L);
            assertThatThrownBy(() -> other.change(LockPerms.READ.qcow2File(false)))
                    .hasMessageEndingWith("Failed to get shared \"write\" lock");
            // ...and the refused change dropped only what it had added
            assertThat(other.perms()).isEqualTo(LockPerms.READ.rawFile(false));
            assertThat(locked(file)).containsExactly(100L, 101L, 103L, 201L, 203L);
        }
        assertThat(locked(file)).isEmpty();
    }

    @Test
    void nothingToLockOpensNothing() throws IOException {
        long fds = openDescriptors();
        try (ImageLock none = ImageLock.acquire(file, LockPerms.METADATA.rawFile(false))) {
            assertThat(openDescriptors()).isEqualTo(fds);
            assertThat(locked(file)).isEmpty();
        }
    }
}
