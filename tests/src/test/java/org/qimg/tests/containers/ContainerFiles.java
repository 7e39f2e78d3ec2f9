package org.qimg.tests.containers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Scratch;

/**
 * The files the container tests read, made once per test JVM by the real tools in the scratch directory
 * "containers": a raw disk of 6 MiB written by qemu-io (patterns, a zero-filled write, data in the last
 * cluster, incompressible bytes), the same disk as qcow2 by {@code qemu-img convert}, and both compressed by
 * each tool; and each compressed file decompressed again by its own tool (the reference the tests convert
 * with qemu-img).
 */
final class ContainerFiles {
    static final String RAW = "disk.raw";
    static final String QCOW2 = "disk.qcow2";

    /**
     * A compressed file: its name, the decompressed copy the tool made, and the inner format.
     */
    record Packed(String label, String file, String decompressed, String inner) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static Path dir;
    private static final List<Packed> PACKED = new ArrayList<>();

    private ContainerFiles() {
    }

    static synchronized Path dir() {
        if (dir == null) {
            Qemu.assumeInstalled();
            dir = Scratch.dir("containers");
            build(new Qemu(dir));
        }
        return dir;
    }

    static List<Packed> packed() {
        dir();
        return PACKED;
    }

    private static void build(Qemu q) {
        q.img("create", "-q", "-f", "raw", RAW, "6M");
        q.io(dir.resolve(RAW), "raw", "write -P 0x11 0 300k", "write -P 0x22 1M 1M", "write -z 2560k 64k",
                "write -P 0 3M 512k", "write -P 0x5a 6080k 64k");
        // incompressible bytes at 4 MiB (a fixed seed: the same file every run)
        byte[] noise = new byte[512 * 1024];
        new java.util.Random(13).nextBytes(noise);
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve(RAW), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(noise), 4L << 20);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        q.img("convert", "-f", "raw", "-O", "qcow2", RAW, QCOW2);
        for (String inner : List.of(RAW, QCOW2)) {
            String kind = inner.equals(RAW) ? "raw" : "qcow2";
            pack("xz " + kind, inner, inner + ".xz", kind, "xz -k -c " + inner + " > " + inner + ".xz",
                    "xz -dc");
            // several blocks, as xz -T0 writes big files (small blocks so a small file gets several)
            pack("xz -T0 " + kind, inner, inner + ".mt.xz", kind, "xz -T0 --block-size=1MiB -c " + inner + " > "
                    + inner + ".mt.xz", "xz -dc");
            pack("gzip " + kind, inner, inner + ".gz", kind, "gzip -c " + inner + " > " + inner + ".gz", "gzip -dc");
            pack("bzip2 " + kind, inner, inner + ".bz2", kind, "bzip2 -c " + inner + " > " + inner + ".bz2",
                    "bzip2 -dc");
            pack("zstd " + kind, inner, inner + ".zst", kind, "zstd -q -c " + inner + " > " + inner + ".zst",
                    "zstd -qdc");
            pack("lz4 " + kind, inner, inner + ".lz4", kind, "lz4 -q -c " + inner + " > " + inner + ".lz4",
                    "lz4 -qdc");
        }
        // a raw disk piped into zstd: no content size in the frame header, so it is counted
        pack("zstd from a pipe raw", RAW, RAW + ".pipe.zst", "raw", "cat " + RAW + " | zstd -q -c > " + RAW
                + ".pipe.zst", "zstd -qdc");
        // two gzip members one after the other (what `cat a.gz b.gz` gives): one stream to gzip -d
        pack("gzip two members raw", RAW, RAW + ".2.gz", "raw", "head -c 1M " + RAW + " | gzip -c > " + RAW
                + ".2.gz && tail -c +1048577 " + RAW + " | gzip -c >> " + RAW + ".2.gz", "gzip -dc");
    }

    private static void pack(String label, String inner, String file, String kind, String make, String decompress) {
        sh(make);
        String back = file + ".unpacked";
        sh(decompress + " " + file + " > " + back);
        PACKED.add(new Packed(label, file, back, kind));
    }

    static void sh(String script) {
        Proc.run(dir, "bash", "-c", "set -euo pipefail; " + script).requireSuccess();
    }

    /** Runs a bash script in the directory; true when it exits 0. */
    static boolean sh0(String script) {
        return Proc.run(dir, "bash", "-c", script).exitCode() == 0;
    }

    static Path path(String name) {
        return dir().resolve(name);
    }

    static boolean exists(String name) {
        return Files.exists(path(name));
    }
}
