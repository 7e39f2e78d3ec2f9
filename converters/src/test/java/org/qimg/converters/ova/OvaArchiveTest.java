package org.qimg.converters.ova;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk member of 8 GiB or more (past the ustar size field's 11 octal digits) gets its size in base-256, as
 * GNU tar writes it, and GNU tar and Python's tarfile read the archive back. The 8 GiB of zeros come from
 * /dev/zero and go to a sparse file (zero blocks are skipped), so the test costs memory copies, not disk.
 */
class OvaArchiveTest {
    private static final long BIG = OvaArchive.MAX_USTAR_SIZE + 1 + 512; // 8 GiB + 512

    @TempDir
    Path dir;

    /** Writes non-zero bytes at their offsets and skips zeros, leaving holes. */
    private static final class SparseOut extends OutputStream {
        private final FileChannel ch;
        private long at;

        SparseOut(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            boolean zero = true;
            for (int i = off; i < off + len && zero; i++) {
                zero = b[i] == 0;
            }
            if (!zero) {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    ch.write(buf, at + (buf.position() - off));
                }
            }
            at += len;
        }

        long length() {
            return at;
        }
    }

    @Test
    void aMemberOf8GiBOrMoreHasItsSizeInBase256AndToolsReadIt() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/zero")));
        Path tar = dir.resolve("big.ova");
        SparseOut out;
        try (FileChannel file = FileChannel.open(tar, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             FileChannel zeros = FileChannel.open(Path.of("/dev/zero"), StandardOpenOption.READ)) {
            out = new SparseOut(file);
            try (OvaArchive a = new OvaArchive(out, 1_700_000_000L)) {
                a.add("big.ovf", "<Envelope/>\n".getBytes(StandardCharsets.UTF_8));
                a.add("big-disk1.vmdk", zeros, BIG, "/dev/zero");
                a.add("after.txt", "the member after the big one\n".getBytes(StandardCharsets.UTF_8));
                a.finish();
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(tar.toFile(), "rw")) {
            f.setLength(out.length());
        }
        byte[] header = new byte[512];
        try (FileChannel f = FileChannel.open(tar)) {
            f.read(ByteBuffer.wrap(header), 1024); // the disk's header follows big.ovf's header and one data block
        }
        assertThat(new String(header, 0, 14, StandardCharsets.US_ASCII)).isEqualTo("big-disk1.vmdk");
        assertThat(header[124] & 0xff).as("base-256 marker of the size field").isEqualTo(0x80);
        long size = 0;
        for (int i = 125; i < 136; i++) {
            size = size << 8 | (header[i] & 0xff);
        }
        assertThat(size).isEqualTo(BIG);

        Process py = new ProcessBuilder("python3", "-c", "import sys, tarfile\n"
                + "with tarfile.open(sys.argv[1], 'r:') as t:\n"
                + "    for m in t.getmembers(): print(m.name, m.size)\n", tar.toString())
                .redirectErrorStream(true).start();
        String listed = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(py.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(listed).isEqualTo("big.ovf 12\nbig-disk1.vmdk " + BIG + "\nafter.txt 29\n");
        Process gnu = new ProcessBuilder("tar", "tf", tar.toString()).redirectErrorStream(true).start();
        String names = new String(gnu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gnu.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(gnu.exitValue()).as(names).isZero();
        assertThat(names).isEqualTo("big.ovf\nbig-disk1.vmdk\nafter.txt\n");
    }
}
