package org.qimg.tests.convert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qimg.tests.support.Digests;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * {@code convert} option combinations found to differ from qemu-img 7.2 by a sweep, each compared byte for
 * byte with qemu-img's output for the same arguments.
 */
class ConvertOptionsOracleTest {
    @TempDir
    static Path dir;

    /** zeros.raw: data, zero clusters, a zero hole, an odd tail; tiny.raw: 1000 zero bytes. */
    @BeforeAll
    static void inputs() throws Exception {
        Qemu.assumeInstalled();
        Random r = new Random(5);
        try (FileChannel ch = FileChannel.open(dir.resolve("zeros.raw"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            byte[] b = new byte[65536];
            r.nextBytes(b);
            ch.write(ByteBuffer.wrap(b), 0);                 // cluster 0: incompressible
            ch.write(ByteBuffer.wrap(new byte[65536]), 65536); // cluster 1: written zeros
            byte[] t = new byte[3000];
            Arrays.fill(t, (byte) 'q');
            ch.write(ByteBuffer.wrap(t), 5 * 65536 + 100);   // clusters 2-4: a hole; 5: compressible
            ch.write(ByteBuffer.wrap(new byte[] {9}), 7 * 65536 + 4000); // odd size
        }
        Files.write(dir.resolve("tiny.raw"), new byte[1000]);
        Qemu q = new Qemu(dir);
        q.img("convert", "-f", "raw", "-O", "qcow2", "zeros.raw", "zeros.qcow2");
        byte[] big = new byte[600_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (r.nextInt(4) == 0 ? r.nextInt() : i / 1000);
        }
        Files.write(dir.resolve("big.raw"), big);
        q.img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4k", "big.raw", "zlib4k.qcow2");
        q.img("convert", "-c", "-f", "raw", "-O", "qcow2", "big.raw", "zlib64k.qcow2");
        // host clusters out of guest order: block-status runs end where host offsets jump
        q.img("create", "-f", "qcow2", "-o", "cluster_size=4k", "frag.qcow2", "600k");
        q.io(dir.resolve("frag.qcow2"), "qcow2", "write -P 1 400k 40k", "write -P 2 0 100k", "write -P 3 200k 20k",
                "write -P 4 100k 100k");
    }

    /** "ARGS" before SRC DST: refused by both, with the same exit code and message, and no target left. */
    @ParameterizedTest
    @ValueSource(strings = {
        "-O qcow2 -B base.raw", "-O qcow2 -o backing_file=base.raw", "-O qcow2 -m 17", "-O qcow2 -m 0",
        "-O qcow2 -m x", "-O qcow2 -S 1000", "-O qcow2 -S 32M", "-O qcow2 -c -o preallocation=metadata",
        "-O qcow2 -o cluster_size=3000", "-O qcow2 -o compat=0.10,refcount_bits=8", "-O qcow2 -o compression_type=lz4",
        "-O qcow2 -o extended_l2=on,cluster_size=4k", "-O qcow2 -n -o cluster_size=4k",
    })
    void refusedAsQemuImg(String args) throws Exception {
        Files.write(dir.resolve("base.raw"), new byte[4096]);
        List<String> a = new ArrayList<>(List.of("convert", "-f", "raw"));
        a.addAll(List.of(args.split(" ")));
        a.add(dir.resolve("zeros.raw").toString());
        String tag = "e" + Integer.toHexString(args.hashCode());
        Path theirs = dir.resolve(tag + "-qemu.qcow2");
        Path ours = dir.resolve(tag + "-qimg.qcow2");
        List<String> q = new ArrayList<>(a);
        q.add(theirs.toString());
        ProcResult qr = new Qemu(dir).imgResult(q.toArray(String[]::new));
        a.add(ours.toString());
        ProcResult r = Qimg.inProcess(a.toArray(String[]::new));
        assertThat(qr.exitCode()).as(qr.stderr()).isNotZero();
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(qr.exitCode());
        assertThat(r.stderr().replace(ours.toString(), "F").replace("qimg: ", "P: "))
                .isEqualTo(qr.stderr().replace(theirs.toString(), "F").replace("qemu-img: ", "P: "));
        assertThat(Files.exists(ours)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-S 0", "-S 0 -o cluster_size=4k"})
    void inPlaceFullyAllocatedAsQemuImg(String args) throws Exception {
        // -n -S 0: zero ranges are written as data (allocated zero clusters), not as zero flags
        String tag = "n" + Integer.toHexString(args.hashCode());
        Path theirs = dir.resolve(tag + "-qemu.qcow2");
        Path ours = dir.resolve(tag + "-qimg.qcow2");
        String[] create = args.contains("-o") ? new String[] {"-o", "cluster_size=4k"} : new String[0];
        for (Path p : List.of(theirs, ours)) {
            List<String> c = new ArrayList<>(List.of("create", "-q", "-f", "qcow2"));
            c.addAll(List.of(create));
            c.addAll(List.of(p.toString(), "1M"));
            new Qemu(dir).img(c.toArray(String[]::new));
        }
        String src = dir.resolve("zeros.raw").toString();
        Proc.ok(dir, "qemu-img", "convert", "-n", "-S", "0", "-f", "raw", "-O", "qcow2", src, theirs.toString());
        ProcResult r = Qimg.inProcess("convert", "-n", "-S", "0", "-f", "raw", "-O", "qcow2", src, ours.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        String mapOurs = new Qemu(dir).img("map", "--output=json", ours.toString());
        String mapTheirs = new Qemu(dir).img("map", "--output=json", theirs.toString());
        assertThat(Files.size(ours)).isEqualTo(Files.size(theirs));
        assertThat(allocation(mapOurs)).isEqualTo(allocation(mapTheirs));
        assertThat(new Qemu(dir).imgResult("check", ours.toString()).exitCode()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"extended_l2=on,preallocation=metadata", "extended_l2=on,preallocation=metadata,cluster_size=32k"})
    void preallocatedOverlayReadsAsQemuImgs(String opts) throws Exception {
        // qemu-img allows preallocation with a backing file when extended L2 keeps subclusters unallocated
        Qemu q = new Qemu(dir);
        Path top = dir.resolve("top-" + opts.length() + ".qcow2");
        q.img("create", "-q", "-f", "qcow2", "-b", "zeros.raw", "-F", "raw", top.toString());
        q.io(top, "qcow2", "write -P 0x5a 70k 8k", "write -z 200k 64k");
        Path theirs = dir.resolve("pt-" + opts.length() + "-qemu.qcow2");
        Path ours = dir.resolve("pt-" + opts.length() + "-qimg.qcow2");
        String base = dir.resolve("zeros.raw").toString();
        Proc.ok(dir, "qemu-img", "convert", "-O", "qcow2", "-B", base, "-F", "raw", "-o", opts, top.toString(),
                theirs.toString());
        ProcResult r = Qimg.inProcess("convert", "-O", "qcow2", "-B", base, "-F", "raw", "-o", opts, top.toString(),
                ours.toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(q.imgResult("check", ours.toString()).exitCode()).isZero();
        assertThat(q.imgResult("compare", ours.toString(), theirs.toString()).exitCode()).isZero();
        assertThat(q.imgResult("compare", ours.toString(), top.toString()).exitCode()).isZero();
        assertThat(Files.size(ours)).isEqualTo(Files.size(theirs));
    }

    /** qemu-img map JSON reduced to "start+length:zero/data" runs, neighbours with equal flags merged. */
    private static List<String> allocation(String mapJson) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "\"start\": (\\d+), \"length\": (\\d+), \"depth\": \\d+, \"present\": (\\w+), \"zero\": (\\w+),"
                        + " \"data\": (\\w+)").matcher(mapJson);
        List<String> runs = new ArrayList<>();
        long start = -1;
        long end = -1;
        String flags = null;
        while (m.find()) {
            String f = m.group(3) + "/" + m.group(4) + "/" + m.group(5);
            long s = Long.parseLong(m.group(1));
            if (f.equals(flags) && s == end) {
                end += Long.parseLong(m.group(2));
                continue;
            }
            if (flags != null) {
                runs.add(start + "+" + (end - start) + ":" + flags);
            }
            start = s;
            end = s + Long.parseLong(m.group(2));
            flags = f;
        }
        if (flags != null) {
            runs.add(start + "+" + (end - start) + ":" + flags);
        }
        assertThat(runs).as("runs parsed from %s", mapJson).isNotEmpty();
        return runs;
    }

    /** "SOURCE | ARGS": the same file as qemu-img's, byte for byte. */
    @ParameterizedTest
    @ValueSource(strings = {
        "zeros.raw | -c -S 0", "tiny.raw | -c -S 0", "zeros.qcow2 | -c -S 0", "zeros.raw | -c -S 0 -o cluster_size=4k",
        "zeros.raw | -c -S 0 -o compat=0.10", "zeros.raw | -c -S 4k", "zeros.raw | -c",
        // compressed clusters are separate block-status runs, so separate qemu-img requests: with small target
        // clusters, refcount blocks land between the data of two requests
        "zlib4k.qcow2 | -o cluster_size=512", "zlib64k.qcow2 | -o cluster_size=512", "zlib4k.qcow2 | -o cluster_size=1k",
        "zlib4k.qcow2 | ", "zlib64k.qcow2 | -o cluster_size=512,refcount_bits=64", "frag.qcow2 | -o cluster_size=512",
        "zlib4k.qcow2 | -o cluster_size=16k,extended_l2=on",
        // preallocated extended-L2 target whose guest end is inside the last cluster
        "zeros.raw | -o cluster_size=2M,extended_l2=on,preallocation=metadata",
        "big.raw | -o cluster_size=64k,extended_l2=on,preallocation=metadata",
    })
    void sameFileAsQemuImg(String spec) throws Exception {
        String[] p = spec.split("\\|");
        String src = p[0].trim();
        List<String> a = new ArrayList<>(List.of("convert", "-O", "qcow2"));
        if (!p[1].isBlank()) {
            a.addAll(List.of(p[1].trim().split(" ")));
        }
        a.add(dir.resolve(src).toString());
        String tag = "o" + Integer.toHexString(spec.hashCode());
        Path theirs = dir.resolve(tag + "-qemu.qcow2");
        Path ours = dir.resolve(tag + "-qimg.qcow2");
        List<String> q = new ArrayList<>(List.of("qemu-img"));
        q.addAll(a);
        q.add(theirs.toString());
        Proc.ok(dir, q.toArray(String[]::new));
        a.add(ours.toString());
        ProcResult r = Qimg.inProcess(a.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(Digests.md5(ours)).as("md5 vs qemu-img's (%d vs %d bytes)", Files.size(ours), Files.size(theirs))
                .isEqualTo(Digests.md5(theirs));
    }
}
