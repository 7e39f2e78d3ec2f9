package org.qimg.tests.oracle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.qimg.tests.support.Content;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;

/**
 * The image matrix of the oracle suite, every image made by the real qemu-img/qemu-io. Sizes stay small
 * (a few MiB virtual) except where a case needs more to cross an L2-table boundary or hold 2 MiB clusters.
 */
public final class OracleImages {
    private static final long MiB = 1L << 20;
    private static final List<OracleImage> ALL = build();
    private static final Map<String, OracleImage> BY_NAME =
            ALL.stream().collect(Collectors.toMap(OracleImage::name, Function.identity()));

    private OracleImages() {
    }

    public static List<OracleImage> all() {
        return ALL;
    }

    public static OracleImage named(String name) {
        OracleImage i = BY_NAME.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no oracle image " + name);
        }
        return i;
    }

    private static List<OracleImage> build() {
        List<OracleImage> l = new ArrayList<>();
        // Plain qcow2 layers: compat, cluster size, refcount width, extended L2, lazy refcounts.
        l.add(qcow2("v2-c64k", "compat=0.10", 64 * 1024, 4 * MiB, 8));
        l.add(qcow2("v2-c4k", "compat=0.10,cluster_size=4096", 4096, 6 * MiB, 8));
        l.add(qcow2("v3-c512", "compat=1.1,cluster_size=512", 512, 1 * MiB, 8));
        l.add(qcow2("v3-c4k", "compat=1.1,cluster_size=4096", 4096, 8 * MiB, 8));
        l.add(qcow2("v3-c64k", "compat=1.1,cluster_size=65536", 64 * 1024, 4 * MiB, 8));
        l.add(qcow2("v3-c2M", "compat=1.1,cluster_size=2M", 2 * MiB, 16 * MiB, 8));
        l.add(qcow2("v3-c4k-refcount1", "cluster_size=4096,refcount_bits=1", 4096, 6 * MiB, 8));
        l.add(qcow2("v3-c512-refcount64", "cluster_size=512,refcount_bits=64", 512, 1 * MiB, 8));
        l.add(qcow2("v3-c64k-refcount64", "refcount_bits=64", 64 * 1024, 4 * MiB, 8));
        l.add(qcow2("v3-c64k-extl2", "extended_l2=on", 64 * 1024, 4 * MiB, 16));
        // 16 KiB clusters with 16-byte entries: an L2 table spans 16 MiB, so 20 MiB crosses one.
        l.add(qcow2("v3-c16k-extl2", "extended_l2=on,cluster_size=16384", 16 * 1024, 20 * MiB, 16));
        l.add(qcow2("v3-c64k-lazyrefcounts", "lazy_refcounts=on", 64 * 1024, 4 * MiB, 8));
        l.add(new OracleImage("v3-lazyrefcounts-dirty", "qcow2", List.of(), (q, d) -> {
            // qemu-io's "abort" ends the process without closing the image: with lazy refcounts the
            // dirty bit stays set (qemu-img info: "dirty-flag": true); read-only use needs no repair.
            Path img = d.resolve("img.qcow2");
            q.img("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on,cluster_size=4096", img.toString(),
                    Long.toString(2 * MiB));
            ProcResult r = Proc.run(d, List.of(Qemu.QEMU_IO, "-f", "qcow2", "-c", Writes.w(0x3d, 5000, 100_000),
                    "-c", Writes.z(MiB, 64 * 1024), "-c", Writes.w(0xee, 2 * MiB - 4096, 4096), "-c", "abort",
                    img.toString()));
            // (qemu-io's buffered stdout is lost in the abort, so check the result through qemu-img.)
            if (r.exitCode() == 0 || !q.img("info", "--output=json", img.toString()).contains("\"dirty-flag\": true")
                    || q.img("map", "--output=json", img.toString()).split("\"data\": true").length < 3) {
                throw new AssertionError("expected a dirty image with data from qemu-io's writes\n" + r.describe());
            }
            return img;
        }));
        l.add(new OracleImage("v3-corrupt-flag", "qcow2", List.of(), (q, d) -> {
            // Incompatible feature bit 1 ("corrupt"): qemu opens such an image read-only only, which is
            // all convert, info and map need.
            Path img = d.resolve("img.qcow2");
            q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=16384", img.toString(), Long.toString(MiB));
            q.io(img, "qcow2", Writes.standard(16384, MiB, 8));
            try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
                f.seek(72);
                long bits = f.readLong();
                f.seek(72);
                f.writeLong(bits | 2);
            }
            return img;
        }));
        l.add(new OracleImage("v3-c4k-prealloc-metadata", "qcow2", List.of(), (q, d) -> {
            Path img = d.resolve("img.qcow2");
            q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096,preallocation=metadata",
                    img.toString(), Long.toString(2 * MiB));
            q.io(img, "qcow2", Writes.w(0x3c, 300 * 1024 + 7, 10_000), Writes.z(64 * 1024, 64 * 1024),
                    Writes.w(0xee, 2 * MiB - 512, 512));
            return img;
        }));
        l.add(new OracleImage("v2-c4k-prealloc-metadata", "qcow2", List.of(), (q, d) -> {
            Path img = d.resolve("img.qcow2");
            q.img("create", "-q", "-f", "qcow2", "-o", "compat=0.10,cluster_size=4096,preallocation=metadata",
                    img.toString(), Long.toString(1 * MiB));
            q.io(img, "qcow2", Writes.w(0x3c, 3000, 10_000));
            return img;
        }));

        // Compressed images, converted by qemu-img from mixed content (random, text, runs, zeros, holes).
        l.add(compressed("zlib-c64k", "compression_type=zlib", true));
        l.add(compressed("zstd-c64k", "compression_type=zstd", false));
        l.add(compressed("zlib-c4k", "compression_type=zlib,cluster_size=4096", false));
        l.add(compressed("zstd-c512", "compression_type=zstd,cluster_size=512", false));
        l.add(compressed("zlib-c2M", "compression_type=zlib,cluster_size=2M", false));
        l.add(compressed("zlib-v2-c64k", "compat=0.10", false));

        // Backing chains.
        l.add(new OracleImage("chain3", "qcow2", List.of(), OracleImages::chain3));
        l.add(new OracleImage("chain2-rawbase-v2top", "qcow2", List.of(), OracleImages::chainRawBase));

        // Internal snapshots.
        l.add(new OracleImage("snapshots", "qcow2", List.of("snap1", "snap2"), OracleImages::snapshots));

        // Raw images.
        l.add(new OracleImage("raw-holes", "raw", List.of(), (q, d) -> {
            Path img = d.resolve("img.raw");
            Files.deleteIfExists(img);
            Files.createFile(img);
            try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
                f.setLength(5 * MiB);
            }
            Content.writeRandomAt(img, 0, 10_000, 1);
            Content.writeRandomAt(img, MiB - 300, 70_000, 2);          // crosses 1 MiB
            Content.writeRandomAt(img, 3 * MiB + 4096, 4096, 3);       // an aligned lone block
            Content.writeRandomAt(img, 5 * MiB - 777, 777, 4);         // ends at the last byte
            return img;
        }));
        l.add(new OracleImage("raw-unaligned-length", "raw", List.of(), (q, d) -> {
            Path img = d.resolve("img.raw");
            Files.deleteIfExists(img);
            Content.writeMixed(img, MiB + 1000, 5);                  // not a multiple of 512
            return img;
        }));
        return List.copyOf(l);
    }

    private static OracleImage qcow2(String name, String opts, long cs, long size, int l2EntrySize) {
        return new OracleImage(name, "qcow2", List.of(), (q, d) -> {
            Path img = d.resolve("img.qcow2");
            q.img("create", "-q", "-f", "qcow2", "-o", opts, img.toString(), Long.toString(size));
            q.io(img, "qcow2", Writes.standard(cs, size, l2EntrySize));
            return img;
        });
    }

    /**
     * qemu-img convert -c from a 6 MiB raw file of mixed content. With {@code overwrite}, qemu-io then
     * rewrites parts of compressed clusters, so the image mixes compressed, normal and zero clusters.
     */
    private static OracleImage compressed(String name, String opts, boolean overwrite) {
        return new OracleImage(name, "qcow2", List.of(), (q, d) -> {
            Path src = d.resolve("src.raw");
            Files.deleteIfExists(src);
            Content.writeMixed(src, 6 * MiB, name.hashCode());
            Path img = d.resolve("img.qcow2");
            q.img("convert", "-q", "-f", "raw", "-O", "qcow2", "-c", "-o", opts, src.toString(), img.toString());
            if (overwrite) {
                q.io(img, "qcow2", Writes.w(0x5c, 100 * 1024 + 3, 10_000), Writes.z(MiB, 128 * 1024),
                        Writes.z(2 * MiB + 4096, 4096), Writes.w(0xee, 6 * MiB - 512, 512));
            }
            Files.delete(src);
            return img;
        });
    }

    /**
     * base.qcow2 (64 KiB clusters, 3 MiB) <- mid.qcow2 (4 KiB clusters, 3 MiB) <- top.qcow2 (64 KiB
     * clusters, 4 MiB: reads past the backing file's end are zeros). The top layer writes zero clusters
     * (whole and partial) over data of the layers below. Backing names are relative, as users write them.
     */
    private static Path chain3(Qemu q, Path d) throws Exception {
        Path base = d.resolve("base.qcow2");
        Path mid = d.resolve("mid.qcow2");
        Path top = d.resolve("top.qcow2");
        q.img("create", "-q", "-f", "qcow2", base.toString(), Long.toString(3 * MiB));
        q.io(base, "qcow2", Writes.w(0x11, 0, 3 * MiB - 4096), Writes.w(0xb0, 3 * MiB - 1024, 1024));
        q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "base.qcow2", "-F", "qcow2",
                mid.toString());
        q.io(mid, "qcow2", Writes.w(0x22, MiB - 1000, 200_000), Writes.z(2 * MiB, 64 * 1024),
                Writes.w(0x2a, 2 * MiB + 100 * 1024 + 5, 3000));
        q.img("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top.toString(),
                Long.toString(4 * MiB));
        q.io(top, "qcow2", Writes.z(0, 128 * 1024), Writes.z(256 * 1024 + 512, 8192),
                Writes.z(MiB, 64 * 1024), Writes.w(0x33, 3 * MiB + 100, 5000),
                Writes.w(0xee, 4 * MiB - 512, 512));
        return top;
    }

    /** base.raw <- top.qcow2 in compat 0.10 (no zero flag: zero writes over backing data store zeros). */
    private static Path chainRawBase(Qemu q, Path d) throws Exception {
        Path base = d.resolve("base.raw");
        Files.deleteIfExists(base);
        Content.writeMixed(base, 2 * MiB, 7);
        Path top = d.resolve("top.qcow2");
        q.img("create", "-q", "-f", "qcow2", "-o", "compat=0.10,cluster_size=4096", "-b", "base.raw",
                "-F", "raw", top.toString());
        q.io(top, "qcow2", Writes.z(0, 8192), Writes.z(100_000, 3000), Writes.w(0x5e, MiB + 7, 9000));
        return top;
    }

    /** Data, snapshot snap1, overwrite and zero part, snapshot snap2, overwrite again. */
    private static Path snapshots(Qemu q, Path d) throws Exception {
        Path img = d.resolve("img.qcow2");
        q.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", img.toString(), Long.toString(2 * MiB));
        q.io(img, "qcow2", Writes.w(0x11, 0, MiB), Writes.w(0x12, 2 * MiB - 4096, 4096));
        q.img("snapshot", "-c", "snap1", img.toString());
        q.io(img, "qcow2", Writes.w(0x22, 512 * 1024 + 100, 256 * 1024), Writes.z(0, 64 * 1024),
                Writes.w(0x23, 1536 * 1024, 8192));
        q.img("snapshot", "-c", "snap2", img.toString());
        q.io(img, "qcow2", Writes.w(0x33, 4096 + 17, 5000), Writes.z(1536 * 1024, 4096));
        return img;
    }
}
