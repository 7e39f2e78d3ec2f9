package org.qimg.format.qcow2.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.format.DiskImage;
import org.qimg.format.FileOpenException;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.UnsupportedFormatException;

/**
 * How a backing file that cannot be opened is reported: the overlay's name, then the reason, worded by the
 * kind of failure (told apart by type and by the step that failed, not by the words of the message).
 */
@SuppressWarnings("try") // locks and holders are try resources held for a block, not used in it
class BackingOpenErrorsTest {
    @TempDir
    Path dir;

    private Throwable open(Path p) {
        return catchThrowable(() -> {
            try (DiskImage d = ImageFormats.open(p, null)) {
                // opening is enough
            }
        });
    }

    @Test
    void aDirectoryIsAPlainOpenFailure() throws IOException {
        Files.createDirectory(dir.resolve("base"));
        Path top = new TinyQcow2().backing("base").write(dir.resolve("top.qcow2"));
        Throwable e = open(top);
        // qemu-img's words: the overlay, then the file driver's for a directory opened read-only
        assertThat(e).isInstanceOf(ImageException.class).hasMessage("Could not open '" + top + "': Could not open "
                + "backing file: 'file' driver requires '" + dir.resolve("base") + "' to be a regular file");
    }

    @Test
    void anUnknownBackingFormatNamesTheBackingFile() throws IOException {
        new TinyQcow2().write(dir.resolve("base.qcow2"));
        Path top = new TinyQcow2().backing("base.qcow2").backingFormat("nosuch").write(dir.resolve("top.qcow2"));
        Throwable e = open(top);
        assertThat(e).isExactlyInstanceOf(ImageException.class).hasMessage(top + ": could not open backing file '"
                + dir.resolve("base.qcow2") + "': Unknown file format 'nosuch' (known: qcow2, vmdk, raw)");
    }

    @Test
    void aFormatQimgDoesNotReadIsAPlainOpenFailure() throws IOException {
        Files.write(dir.resolve("base.vhdx"), new byte[4096]);
        Path top = new TinyQcow2().backing("base.vhdx").backingFormat("vhdx").write(dir.resolve("top.qcow2"));
        Throwable e = open(top);
        assertThat(e).isExactlyInstanceOf(ImageException.class).hasMessage(top + ": could not open backing file: "
                + "Could not open '" + dir.resolve("base.vhdx") + "': image format 'vhdx' is not supported by qimg "
                + "(qimg reads qcow2, vmdk and raw)");
        assertThat(e.getCause()).isInstanceOf(UnsupportedFormatException.class);
    }

    @Test
    void aBackingFileWhoseDataFileIsAFifoIsAPlainOpenFailure() throws IOException, InterruptedException {
        Path fifo = dir.resolve("base.data");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo");
        Path base = new TinyQcow2().dataFile("base.data").write(dir.resolve("base.qcow2"));
        Path top = new TinyQcow2().backing("base.qcow2").write(dir.resolve("top.qcow2"));
        Throwable e = open(top);
        assertThat(e).isExactlyInstanceOf(ImageException.class).hasMessage(top + ": could not open backing file: "
                + "Could not open '" + base + "': its external data file '" + fifo + "' is a FIFO, not a regular "
                + "file or block device");
        assertThat(e.getCause()).isInstanceOf(FileOpenException.class);
        assertThat(((FileOpenException) e.getCause()).file()).isEqualTo(base.toString());
    }

    @Test
    void aFailureFurtherDownNamesTheTopImageOnce() throws IOException {
        new TinyQcow2().backing("gone.qcow2").write(dir.resolve("mid.qcow2"));
        Path top = new TinyQcow2().backing("mid.qcow2").write(dir.resolve("top.qcow2"));
        Throwable e = open(top);
        // as qemu-img: each level of the chain adds "Could not open backing file: ", the top image named once
        assertThat(e).isInstanceOf(ImageException.class).hasMessage("Could not open '" + top + "': Could not open "
                + "backing file: Could not open backing file: Could not open '" + dir.resolve("gone.qcow2")
                + "': No such file or directory");
    }

    @Test
    void aMissingDataFileOfABackingFileIsNotAPlainOpenFailure() throws IOException {
        Path base = new TinyQcow2().dataFile("absent.data").write(dir.resolve("base.qcow2"));
        Path top = new TinyQcow2().backing("base.qcow2").write(dir.resolve("top.qcow2"));
        Throwable e = open(top);
        // qimg's own wording for the data file, passed up as it is
        assertThat(e).isExactlyInstanceOf(ImageException.class).hasMessage("Could not open external data file '"
                + dir.resolve("absent.data") + "': No such file or directory");
        assertThat(base).exists();
    }
}
