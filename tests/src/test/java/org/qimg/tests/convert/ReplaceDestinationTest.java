package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qimg;
import org.qimg.tests.support.TempFiles;

/**
 * Replacing a regular DST never destroys or exposes what the user pointed at: owner, group, mode, xattrs
 * and ACLs stay (as with qemu-img, which writes into the existing file); hard-linked DSTs are refused; new
 * files get qemu-img's mode but never more readable than the source; the temporary file is private while
 * written; --verify checks before the rename; a dangling symlink creates its target as qemu-img does;
 * unwritable directories and a full disk leave DST as it was. Runs as root (chown, xattrs, mounts).
 */
class ReplaceDestinationTest {
    @TempDir
    Path dir;

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private String path(String name) {
        return dir.resolve(name).toString();
    }

    private String stat(String name) {
        return Proc.ok(dir, "stat", "-c", "%U %G %a %h", name).strip();
    }

    /** All extended attributes (ACLs and security labels included), without the file's name. */
    private String xattrs(String name) {
        String out = Proc.ok(dir, "getfattr", "-d", "-m", "-", "-e", "hex", name);
        return out.substring(out.indexOf('\n') + 1).strip();
    }

    private void assumeRoot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    }

    /** An "old disk" as libvirt leaves them: another owner, private mode with setgid, xattrs, an ACL. */
    private List<String> decorate(String name) throws IOException {
        Files.write(dir.resolve(name), random(7, 1 << 20));
        Proc.ok(dir, "chown", "nobody:nogroup", name);
        Proc.ok(dir, "chmod", "2640", name);
        Proc.ok(dir, "setfattr", "-n", "user.origin", "-v", "libvirt", name);
        Proc.ok(dir, "setfacl", "-m", "u:daemon:r", name);
        List<String> optional = new ArrayList<>();
        for (String[] x : new String[][] {{"trusted.qimg", "t"}, {"security.selinux",
                "system_u:object_r:svirt_image_t:s0:c1,c2"}}) {
            if (Proc.run(dir, "setfattr", "-n", x[0], "-v", x[1], name).exitCode() == 0) {
                optional.add(x[0]);
            }
        }
        return optional;
    }

    @Test
    void replacingKeepsOwnerGroupModeXattrsAndAclAsQemuImgDoes() throws Exception {
        assumeRoot();
        Files.write(dir.resolve("src.raw"), random(1, 3 << 20));
        List<String> extra = decorate("ours.qcow2");
        decorate("theirs.qcow2");
        String before = stat("ours.qcow2");
        String xattrsBefore = xattrs("ours.qcow2");
        assertThat(before).isEqualTo("nobody nogroup 2640 1");
        assertThat(xattrsBefore).contains("user.origin", "system.posix_acl_access");

        ProcResult r = Qimg.inProcess("convert", "-O", "qcow2", path("src.raw"), path("ours.qcow2"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Proc.ok(dir, "qemu-img", "convert", "-O", "qcow2", "src.raw", "theirs.qcow2");

        assertThat(stat("ours.qcow2")).isEqualTo(before).isEqualTo(stat("theirs.qcow2"));
        assertThat(xattrs("ours.qcow2")).isEqualTo(xattrsBefore).isEqualTo(xattrs("theirs.qcow2"));
        assertThat(Proc.ok(dir, "getfacl", "-c", "ours.qcow2")).contains("user:daemon:r--");
        for (String x : extra) {
            assertThat(xattrsBefore).contains(x);
        }
        Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", "src.raw", "ours.qcow2");
        assertThat(TempFiles.hidden(dir, "ours.qcow2")).isEmpty();
    }

    @Test
    void aRegularUserKeepsTheirFilesAttributesAndIsToldWhenAnOwnerCannotBeKept() throws Exception {
        assumeRoot();
        Assumptions.assumeTrue(Proc.run(dir, "setpriv", "--version").exitCode() == 0, "needs setpriv");
        Proc.ok(dir, "chmod", "0755", ".");
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        Files.write(home.resolve("src.raw"), random(17, 1 << 20));
        Files.write(home.resolve("mine.raw"), random(18, 1 << 20));
        Files.write(home.resolve("roots.raw"), random(19, 1 << 20));
        Proc.ok(home, "chown", "nobody:nogroup", ".", "src.raw", "mine.raw");
        Proc.ok(home, "chmod", "0600", "mine.raw");
        Proc.ok(home, "chmod", "0666", "roots.raw"); // writable by anyone, but its owner only root can give
        Proc.ok(home, "setfattr", "-n", "user.note", "-v", "keep me", "mine.raw");
        List<String> asNobody = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups");

        List<String> mine = new ArrayList<>(asNobody);
        mine.addAll(Qimg.command("convert", "-O", "qcow2", "src.raw", "mine.raw"));
        ProcResult r = Proc.run(home, mine);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(Proc.ok(home, "stat", "-c", "%U %G %a", "mine.raw").strip()).isEqualTo("nobody nogroup 600");
        assertThat(Proc.ok(home, "getfattr", "-n", "user.note", "--only-values", "mine.raw")).isEqualTo("keep me");

        byte[] old = Files.readAllBytes(home.resolve("roots.raw"));
        List<String> roots = new ArrayList<>(asNobody);
        roots.addAll(Qimg.command("convert", "-O", "raw", "src.raw", "roots.raw"));
        ProcResult q = Proc.run(home, roots);
        assertThat(q.exitCode()).isEqualTo(1);
        assertThat(q.stderr().strip()).isEqualTo("qimg: 'roots.raw': cannot replace it keeping what it carries: cannot"
                + " give the new file its owner and group (uid 0, gid 0): Operation not permitted; write into it in"
                + " place with -n, or remove it first");
        assertThat(Files.readAllBytes(home.resolve("roots.raw"))).isEqualTo(old);
        assertThat(TempFiles.hidden(home, "roots.raw")).isEmpty();
    }

    @Test
    void withoutLibcThroughJnaOwnerGroupAndModeAreStillKept() throws Exception {
        assumeRoot();
        Files.write(dir.resolve("src.raw"), random(20, 1 << 20));
        Files.write(dir.resolve("dst.qcow2"), random(21, 1 << 20));
        Proc.ok(dir, "chown", "nobody:nogroup", "dst.qcow2");
        Proc.ok(dir, "chmod", "2640", "dst.qcow2");
        List<String> cmd = new ArrayList<>(Qimg.command("convert", "-O", "qcow2", "src.raw", "dst.qcow2"));
        cmd.add(1, "-Dqimg.hostfileops.off=true"); // the portable path (not Linux): a named file, Java's API
        ProcResult r = Proc.run(dir, cmd);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(stat("dst.qcow2")).isEqualTo("nobody nogroup 2640 1");
        Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", "src.raw", "dst.qcow2");
        assertThat(TempFiles.hidden(dir, "dst.qcow2")).isEmpty();
    }

    @Test
    void aDestinationWithSeveralHardLinksIsRefusedBeforeAnythingIsWritten() throws Exception {
        Files.write(dir.resolve("src.raw"), random(2, 1 << 20));
        byte[] old = random(3, 1 << 20);
        Files.write(dir.resolve("dst.img"), old);
        Files.createLink(dir.resolve("other-name.img"), dir.resolve("dst.img"));

        ProcResult r = Qimg.subprocess(dir, "convert", "-O", "raw", "src.raw", "dst.img");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stderr().strip()).isEqualTo("qimg: 'dst.img' has 2 hard links; replacing it would leave the"
                + " other names with the old content: remove it first, or write into it in place with -n");
        assertThat(Files.readAllBytes(dir.resolve("dst.img"))).isEqualTo(old);
        assertThat(stat("dst.img")).endsWith(" 2");
        assertThat(TempFiles.hidden(dir, "dst.img")).isEmpty();

        // the way the message points at works and updates both names
        ProcResult n = Qimg.subprocess(dir, "convert", "-n", "-O", "raw", "src.raw", "dst.img");
        assertThat(n.exitCode()).as(n.stderr()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("other-name.img"))).isEqualTo(Files.readAllBytes(dir.resolve("src.raw")));
    }

    @Test
    void newFilesGetQemuImgsModeButNeverMoreThanTheSource() throws Exception {
        Files.write(dir.resolve("open.raw"), random(4, 64 << 10));
        Files.write(dir.resolve("private.raw"), random(5, 64 << 10));
        Proc.ok(dir, "chmod", "0644", "open.raw");
        Proc.ok(dir, "chmod", "0600", "private.raw");
        for (String umask : new String[] {"077", "022", "002", "000"}) {
            for (String src : new String[] {"open.raw", "private.raw"}) {
                String ours = "ours-" + umask + "-" + src;
                String theirs = "theirs-" + umask + "-" + src;
                Proc.ok(dir, "sh", "-c", "umask " + umask + " && exec qemu-img convert -O qcow2 " + src + " " + theirs);
                Proc.ok(dir, "sh", "-c", "umask " + umask + " && exec " + String.join(" ",
                        Qimg.command("convert", "-O", "qcow2", src, ours)));
                String expected = Proc.ok(dir, "stat", "-c", "%a", theirs).strip();
                if (src.equals("private.raw")) {
                    expected = "600"; // qemu-img: 644 minus umask whatever the source; qimg keeps a private disk private
                }
                assertThat(Proc.ok(dir, "stat", "-c", "%a", ours).strip()).as("umask %s, %s", umask, src)
                        .isEqualTo(expected);
            }
        }
        assertThat(Proc.ok(dir, "stat", "-c", "%a", "theirs-022-private.raw").strip()).isEqualTo("644");
    }

    @Test
    void theTemporaryFileIsNeverReadableByOthersWhileAPrivateDiskIsCopied() throws Exception {
        // a slow convert: 2 GiB with -S 0 writes every zero; its temporary file is looked at 200 times, then
        // the convert is stopped
        Proc.ok(dir, "truncate", "-s", "2G", "src.raw");
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", "src.raw");
        Proc.ok(dir, "chmod", "0600", "src.raw");
        for (String dst : new String[] {"new.raw", "existing.raw"}) {
            if (dst.equals("existing.raw")) {
                Files.write(dir.resolve(dst), random(6, 4096));
                Proc.ok(dir, "chmod", "0644", dst);
            }
            Process p = new ProcessBuilder(Qimg.command("convert", "-m", "1", "-S", "0", "-O", "raw", "src.raw", dst))
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile())
                    .start();
            int looks = 0;
            int seen = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            try {
                while (System.nanoTime() < end && p.isAlive() && seen < 200) {
                    List<Path> files = new ArrayList<>(TempFiles.openBy(p.pid(), dir, dst));
                    files.addAll(TempFiles.hidden(dir, dst));
                    for (Path t : files) {
                        int mode;
                        try {
                            mode = (Integer) Files.getAttribute(t, "unix:mode") & 07777;
                        } catch (IOException e) {
                            continue; // closed or renamed meanwhile
                        }
                        seen++;
                        assertThat(mode & 077).as("mode %o of %s", mode, t).isZero();
                    }
                    looks++;
                    Thread.sleep(2);
                }
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(seen).as("temporary file observed (%d looks)", looks).isGreaterThanOrEqualTo(200);
            assertThat(TempFiles.hidden(dir, dst)).isEmpty();
        }
        assertThat(dir.resolve("new.raw")).doesNotExist();
        assertThat(stat("existing.raw")).endsWith(" 644 1"); // untouched
    }

    @Test
    void aDanglingSymlinkCreatesItsTargetAsQemuImgDoes() throws Exception {
        Files.write(dir.resolve("src.raw"), random(8, 256 << 10));
        Files.createDirectories(dir.resolve("links"));
        Files.createDirectories(dir.resolve("images"));
        Files.createSymbolicLink(dir.resolve("links/ours.raw"), Path.of("../images/ours.raw"));
        Files.createSymbolicLink(dir.resolve("links/theirs.raw"), Path.of("../images/theirs.raw"));

        ProcResult r = Qimg.subprocess(dir, "convert", "-O", "raw", "src.raw", "links/ours.raw");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", "src.raw", "links/theirs.raw");

        assertThat(Files.isSymbolicLink(dir.resolve("links/ours.raw"))).isTrue();
        assertThat(Files.readAllBytes(dir.resolve("images/ours.raw")))
                .isEqualTo(Files.readAllBytes(dir.resolve("images/theirs.raw")))
                .isEqualTo(Files.readAllBytes(dir.resolve("src.raw")));
        assertThat(stat("images/ours.raw")).isEqualTo(stat("images/theirs.raw"));

        // a link into a missing directory: qemu-img says "Could not create 'DST': No such file or directory"
        Files.createSymbolicLink(dir.resolve("nowhere.raw"), Path.of("missing/x.raw"));
        ProcResult q = Proc.run(dir, "qemu-img", "convert", "-O", "raw", "src.raw", "nowhere.raw");
        ProcResult o = Qimg.subprocess(dir, "convert", "-O", "raw", "src.raw", "nowhere.raw");
        assertThat(q.exitCode()).isEqualTo(1);
        assertThat(q.stderr()).contains("Could not create 'nowhere.raw': No such file or directory");
        assertThat(o.exitCode()).isEqualTo(1);
        assertThat(o.stderr().strip()).isEqualTo("qimg: Could not create 'nowhere.raw': No such file or directory");
    }

    @Test
    void aVerifyMismatchLeavesTheOldDestinationAsItWas() throws Exception {
        // the source changes while qimg runs: what verify reads back differs from what convert wrote
        Files.write(dir.resolve("src.raw"), random(9, 4 << 20));
        byte[] old = random(10, 1 << 20);
        Files.write(dir.resolve("dst.qcow2"), old);
        Proc.ok(dir, "chmod", "0640", "dst.qcow2");
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            try (FileChannel ch = FileChannel.open(dir.resolve("src.raw"), StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(8);
                for (long i = 1; !stop.get(); i++) {
                    b.clear();
                    b.putLong(0, i);
                    ch.write(b, 0);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        ProcResult r;
        try {
            r = Qimg.inProcess("convert", "--verify", "-O", "qcow2", path("src.raw"), path("dst.qcow2"));
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(1);
        assertThat(r.stderr().strip()).isEqualTo("qimg: verify failed: " + path("dst.qcow2")
                + ": Content mismatch at offset 0! (the destination was left unchanged)");
        assertThat(Files.readAllBytes(dir.resolve("dst.qcow2"))).isEqualTo(old);
        assertThat(stat("dst.qcow2")).endsWith(" 640 1");
        assertThat(TempFiles.hidden(dir, "dst.qcow2")).isEmpty();
    }

    @Test
    void verifyReadsARelativeBackingFileBesideTheDestination() throws Exception {
        Files.createDirectories(dir.resolve("vm"));
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "vm/base.qcow2", "1M");
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 64k", "vm/base.qcow2");
        Proc.ok(dir, "qemu-img", "convert", "-O", "raw", "vm/base.qcow2", "full.raw");
        Proc.ok(dir, "qemu-io", "-f", "raw", "-c", "write -P 0x22 128k 4k", "full.raw");
        // relative to the destination's directory, not to the working directory or /proc/self/fd
        ProcResult r = Qimg.subprocess(dir, "convert", "--verify", "-O", "qcow2", "-B", "base.qcow2", "-F", "qcow2",
                "full.raw", "vm/top.qcow2");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Proc.ok(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2", "full.raw", "vm/top.qcow2");
    }

    @Test
    void anUnwritableDirectoryRefusesToReplaceAndPointsAtInPlaceWriting() throws Exception {
        assumeRoot();
        Files.write(dir.resolve("src.raw"), random(11, 1 << 20));
        Files.createDirectories(dir.resolve("locked"));
        byte[] old = random(12, 1 << 20);
        Files.write(dir.resolve("locked/dst.raw"), old);
        Assumptions.assumeTrue(Proc.run(dir, "chattr", "+i", "locked").exitCode() == 0,
                "chattr +i needs ext2/3/4, xfs or btrfs");
        try {
            // qemu-img writes into the existing file there; qimg would have to create a file beside it
            ProcResult r = Qimg.subprocess(dir, "convert", "-O", "raw", "src.raw", "locked/dst.raw");
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.stderr().strip()).isEqualTo("qimg: 'locked/dst.raw': cannot replace it: no new file can be"
                    + " created in its directory '" + dir.toRealPath().resolve("locked") + "': Operation not permitted"
                    + " (qimg writes the copy beside it and renames it; -n writes into the existing file in place)");
            assertThat(Files.readAllBytes(dir.resolve("locked/dst.raw"))).isEqualTo(old);

            ProcResult n = Qimg.subprocess(dir, "convert", "-n", "-O", "raw", "src.raw", "locked/dst.raw");
            assertThat(n.exitCode()).as(n.stderr()).isZero();
            assertThat(Files.readAllBytes(dir.resolve("locked/dst.raw")))
                    .isEqualTo(Files.readAllBytes(dir.resolve("src.raw")));
            Proc.ok(dir, "qemu-img", "convert", "-O", "raw", "src.raw", "locked/dst.raw"); // as qemu-img does

            ProcResult c = Qimg.subprocess(dir, "convert", "-O", "raw", "src.raw", "locked/new.raw");
            assertThat(c.exitCode()).isEqualTo(1);
            assertThat(c.stderr().strip()).isEqualTo("qimg: Could not create 'locked/new.raw': Operation not permitted");
        } finally {
            Proc.ok(dir, "chattr", "-i", "locked");
        }
    }

    @Test
    void aFullDiskLeavesTheDestinationIntactAndNoTemporaryFile() throws Exception {
        assumeRoot();
        Path small = dir.resolve("small");
        Files.createDirectories(small);
        Assumptions.assumeTrue(Proc.run(dir, "mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", "small").exitCode() == 0,
                "cannot mount a tmpfs here");
        try {
            byte[] old = random(13, 5 << 20);
            Files.write(small.resolve("dst.raw"), old);
            Files.write(dir.resolve("src.raw"), random(14, 6 << 20));
            for (String fmt : new String[] {"raw", "qcow2"}) {
                ProcResult r = Qimg.subprocess(dir, "convert", "-O", fmt, "src.raw", "small/dst.raw");
                assertThat(r.exitCode()).isEqualTo(1);
                String line = r.stderr().strip();
                assertThat(line).as(fmt).startsWith("qimg: ").contains("small/dst.raw")
                        .contains("No space left on device").endsWith("(the destination was left unchanged)")
                        .doesNotContain("\n").doesNotContain(".qimg-");
                assertThat(Files.readAllBytes(small.resolve("dst.raw"))).isEqualTo(old);
                try (var s = Files.list(small)) {
                    assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("dst.raw");
                }
                assertThat(Files.getFileStore(small).getUnallocatedSpace()).isGreaterThan(2 << 20);
            }
        } finally {
            Proc.ok(dir, "umount", "small");
        }
    }

    @Test
    void hiddenFilesOfDeadRunsAreRemovedAndThoseOfLiveRunsKept() throws Exception {
        Files.write(dir.resolve("src.raw"), random(15, 64 << 10));
        Path dead = dir.resolve(".dst.raw.qimg-0123456789ab.tmp");
        Path live = dir.resolve(".dst.raw.qimg-ba9876543210.tmp");
        Path otherDst = dir.resolve(".other.raw.qimg-0123456789ab.tmp");
        Path notOurs = dir.resolve(".dst.raw.qimg-notours.tmp");
        for (Path p : List.of(dead, live, otherDst, notOurs)) {
            Files.write(p, random(16, 4096));
        }
        // a live run holds its flock
        Process holder = new ProcessBuilder("flock", live.toString(), "sleep", "60").start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Proc.run(dir, "flock", "-n", live.toString(), "true").exitCode() == 0) {
                assertThat(System.nanoTime()).isLessThan(end);
                Thread.sleep(10);
            }
            ProcResult r = Qimg.subprocess(dir, "convert", "-O", "raw", "src.raw", "dst.raw");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(dead).doesNotExist();
            assertThat(live).exists();
            assertThat(otherDst).exists();
            assertThat(notOurs).exists();
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
