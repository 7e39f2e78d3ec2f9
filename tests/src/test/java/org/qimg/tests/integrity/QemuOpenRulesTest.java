package org.qimg.tests.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Qimg;

/**
 * Hostile qcow2 headers (in the manner of QEMU's iotests 036, 054 and 080), each built here byte by byte on
 * an image qemu-img made: {@code info}, {@code check} and {@code convert} must end as qemu-img's do on the
 * same file, with the same stdout, the same stderr (qemu-img's words: "Could not open 'F': reason") and the
 * same exit code. qimg's own detail of what is wrong is kept for {@code --debug}, which the last test asserts.
 */
class QemuOpenRulesTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void baseImages() {
        Qemu.assumeInstalled();
        make("v3", "cluster_size=64k", "64M");
        make("v2", "compat=0.10", "64M");
        make("extl2", "cluster_size=16k,extended_l2=on", "64M");
        make("small", "cluster_size=64k", "4G");
        make("bitmap", "cluster_size=64k", "64M");
        Proc.ok(dir, "qemu-img", "bitmap", "--add", dir.resolve("bitmap.qcow2").toString(), "b0");
    }

    /** Where the bitmaps extension (type 0x23852875) starts in the first cluster of {@code e}'s image. */
    private static long bitmapsExtension(Qcow2Edit e) throws IOException {
        byte[] h = e.bytes(0, 65536);
        for (int i = 112; i + 4 <= h.length; i += 8) {
            if ((h[i] & 0xff) == 0x23 && (h[i + 1] & 0xff) == 0x85 && (h[i + 2] & 0xff) == 0x28
                    && (h[i + 3] & 0xff) == 0x75) {
                return i;
            }
        }
        throw new IllegalStateException("no bitmaps extension");
    }

    private static void make(String name, String opts, String size) {
        String f = dir.resolve(name + ".qcow2").toString();
        Proc.ok(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", opts, f, size);
        Proc.ok(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 7 0 64k", f);
    }

    /** A feature name table extension (type 0x6803f857) right after a 112-byte header, as iotest 036 adds. */
    private static void featureTable(Qcow2Edit e, byte[]... entries) throws IOException {
        int len = 0;
        for (byte[] x : entries) {
            len += x.length;
        }
        e.put32(112, 0x6803f857);
        e.put32(116, len);
        long at = 120;
        for (byte[] x : entries) {
            e.putBytes(at, x);
            at += x.length;
        }
        e.putBytes(at, new byte[16]); // the end marker after the padded extension
    }

    /** One feature name entry: type, bit, name; {@code padded} fills the 46 name bytes as qemu-img writes. */
    private static byte[] feature(int type, int bit, String name, boolean padded) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] e = new byte[padded ? 48 : 2 + n.length];
        e[0] = (byte) type;
        e[1] = (byte) bit;
        System.arraycopy(n, 0, e, 2, n.length);
        return e;
    }

    static Stream<DamageCase> refused() {
        return Stream.of(
                new DamageCase("bad magic", "v3", e -> e.put32(0, 0x12345678)),
                new DamageCase("version 4", "v3", e -> e.put32(4, 4)),
                new DamageCase("version 1", "v3", e -> e.put32(4, 1)),
                new DamageCase("cluster_bits 8", "v3", e -> e.put32(20, 8)),
                new DamageCase("cluster_bits 22", "v3", e -> e.put32(20, 22)),
                new DamageCase("header_length 96", "v3", e -> e.put32(100, 96)),
                new DamageCase("header_length past the cluster", "v3", e -> e.put32(100, 0x20000)),
                new DamageCase("huge header_length", "v3", e -> e.put32(100, 0xffffffff)),
                new DamageCase("backing_file_offset past the cluster", "v3", e -> e.put64(8, -1L)),
                new DamageCase("unknown compression type", "v3", e -> e.putBytes(104, new byte[] {2})),
                new DamageCase("compression bit on zlib", "v3", e -> e.put64(72, 8)),
                new DamageCase("zstd without its bit", "v3", e -> e.putBytes(104, new byte[] {1})),
                new DamageCase("unknown incompatible bit 63 without names", "v3", e -> {
                    e.put64(72, 1L << 63);
                    e.put32(112, 0); // no feature name table
                }),
                new DamageCase("unknown incompatible bit 63 named", "v3", e -> {
                    e.put64(72, 1L << 63);
                    featureTable(e, feature(0, 63, "Test feature", false));
                }),
                new DamageCase("three unknown bits two named", "v3", e -> {
                    e.put64(72, 7L << 61);
                    featureTable(e, feature(1, 61, "test1", true), feature(0, 62, "test2", true),
                            feature(2, 63, "test3", true), feature(0, 60, "test4", true));
                }),
                new DamageCase("unknown bit and the corrupt bit", "v3", e -> e.put64(72, (1L << 40) | 2)),
                new DamageCase("extended L2 with 4 KiB clusters", "extl2", e -> e.put32(20, 12)),
                new DamageCase("refcount_order 7", "v3", e -> e.put32(96, 7)),
                new DamageCase("huge refcount table", "v3", e -> e.put32(56, 0xffffffff)),
                new DamageCase("refcount table of 131073 clusters", "v3", e -> e.put32(56, 0x20001)),
                new DamageCase("misaligned refcount table", "v3", e -> e.put64(48, 0x1234567890abcdefL)),
                new DamageCase("refcount table ending past 2^63", "v3", e -> {
                    e.put64(48, 0xffffffffffff0000L);
                    e.put32(56, 0x7f);
                }),
                new DamageCase("huge snapshot count", "v3", e -> e.put32(60, 0xffffffff)),
                new DamageCase("snapshot count 0x7fffffff", "v3", e -> e.put32(60, 0x7fffffff)),
                new DamageCase("snapshot table ending past 2^63", "v3", e -> {
                    e.put64(64, 0xffffffffffff0000L);
                    e.put32(60, 0xffff);
                }),
                new DamageCase("misaligned empty snapshot table", "v3", e -> e.put64(64, 0x1234567890abcdefL)),
                new DamageCase("huge L1 table", "v3", e -> e.put32(36, 0xffffffff)),
                new DamageCase("L1 table of 0x7fffffff entries", "v3", e -> e.put32(36, 0x7fffffff)),
                new DamageCase("L1 table ending past 2^63", "v3", e -> {
                    e.put64(40, 0x7fffffffffff0000L);
                    e.put32(36, 0xffff);
                }),
                new DamageCase("misaligned L1 table", "v3", e -> {
                    e.put64(40, 0x1234567890abcdefL);
                    e.put32(36, 1);
                }),
                new DamageCase("L1 table too small", "v3", e -> e.put32(36, 0)),
                new DamageCase("image of 1 EiB", "small", e -> e.put64(24, 1L << 60)),
                new DamageCase("v2 cluster_bits 30", "v2", e -> e.put32(20, 30)),
                new DamageCase("v2 L1 table too small", "v2", e -> e.put32(36, 0)),
                new DamageCase("header_length 113", "v3", e -> e.put32(100, 113)),
                new DamageCase("backing file name too long", "v3", e -> {
                    e.put64(8, 4096);
                    e.put32(16, 0xffffffff);
                }),
                new DamageCase("backing file name of 1024 bytes", "v3", e -> {
                    e.put64(8, 4096);
                    e.put32(16, 1024);
                }),
                new DamageCase("header extension longer than the cluster", "v3", e -> {
                    e.put32(112, 0x12345678);
                    e.put32(116, 0x7fffffff);
                }),
                new DamageCase("header extension past the backing file name", "v3", e -> {
                    e.put64(8, 116);
                    e.put32(112, 0x12345678);
                    e.put32(116, 0x7fffffff);
                }),
                new DamageCase("backing format extension of 16 bytes", "v3", e -> {
                    e.put32(112, 0xe2792aca);
                    e.put32(116, 16);
                }),
                new DamageCase("LUKS extension on an unencrypted image", "v3", e -> {
                    e.put32(112, 0x0537be77);
                    e.put32(116, 16);
                }),
                new DamageCase("bitmaps extension reserved field", "bitmap", e -> e.put32(bitmapsExtension(e) + 12, 1)),
                new DamageCase("65536 bitmaps", "bitmap", e -> e.put32(bitmapsExtension(e) + 8, 65536)),
                new DamageCase("zero bitmaps", "bitmap", e -> e.put32(bitmapsExtension(e) + 8, 0)),
                new DamageCase("misaligned bitmap directory", "bitmap",
                        e -> e.put64(bitmapsExtension(e) + 24, 0x30200)),
                new DamageCase("bitmap directory of 256 MiB", "bitmap",
                        e -> e.put64(bitmapsExtension(e) + 16, 0x10000000)));
    }

    static Stream<DamageCase> opened() {
        return Stream.of(
                new DamageCase("L1 table past the end", "v3", e -> e.put64(40, 0x10000000)),
                new DamageCase("refcount table past the end", "v3", e -> e.put64(48, 0x10000000)),
                new DamageCase("snapshot table past the end", "v3", e -> {
                    e.put64(64, 0x10000000);
                    e.put32(60, 3);
                }),
                new DamageCase("backing file name past the end", "v3", e -> {
                    e.put64(8, 0xff00);
                    e.put32(16, 200);
                }));
    }

    /**
     * Tables said to lie past the end of the file: QEMU reads zeros there and opens the image. So does qimg,
     * with the same info, check and guest bytes.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("opened")
    void tablesPastTheEndReadAsZeros(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        assertSameAsQemuImg(img, List.of("info", "--output=json", "-f", "qcow2"));
        assertSameAsQemuImg(img, List.of("check", "-f", "qcow2"));
        assertSameAsQemuImg(img, List.of("snapshot", "-l"));
        Path theirs = dir.resolve("theirs.raw");
        Path ours = dir.resolve("ours.raw");
        ProcResult q = Proc.run(dir, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", img.toString(), theirs.toString());
        ProcResult m = Qimg.inProcess("convert", "-f", "qcow2", "-O", "raw", img.toString(), ours.toString());
        assertThat(m.exitCode()).as("qimg convert; stderr: %s", m.stderr()).isEqualTo(q.exitCode());
        if (q.exitCode() == 0) {
            assertThat(Files.mismatch(ours, theirs)).as("guest bytes").isEqualTo(-1L);
        }
    }

    /** The same outcome as qemu-img's for {@code info}, {@code check} and {@code convert}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void openEndsAsQemuImgsDoes(DamageCase c) throws IOException {
        Path img = c.applyTo(dir, "");
        List<List<String>> commands = List.of(
                List.of("info", "-f", "qcow2"),
                List.of("info", "--output=json", "-f", "qcow2"),
                List.of("check", "-f", "qcow2"),
                List.of("convert", "-f", "qcow2", "-O", "raw", "@", dir.resolve("out.raw").toString()));
        for (List<String> cmd : commands) {
            assertSameAsQemuImg(img, cmd);
        }
    }

    /** {@code cmd} with {@code @} (or, without one, a last argument) standing for the image. */
    private static void assertSameAsQemuImg(Path img, List<String> cmd) throws IOException {
        Path theirs = dir.resolve("theirs.qcow2");
        Files.copy(img, theirs, StandardCopyOption.REPLACE_EXISTING);
        ProcResult q = Proc.run(dir, args("qemu-img", cmd, theirs));
        ProcResult m = Qimg.inProcess(args(null, cmd, img));
        String qErr = q.stderr().replace(theirs.toString(), img.toString());
        assertThat(m.stderr().replaceAll("(?m)^qimg: ", "qemu-img: ")).as("stderr of %s", cmd).isEqualTo(qErr);
        assertThat(m.stdout().replace(img.toString(), "IMG")).as("stdout of %s", cmd)
                .isEqualTo(q.stdout().replace(theirs.toString(), "IMG"));
        assertThat(m.exitCode()).as("exit code of %s; stderr: %s", cmd, m.stderr()).isEqualTo(q.exitCode());
    }

    private static String[] args(String program, List<String> cmd, Path img) {
        List<String> a = new ArrayList<>();
        if (program != null) {
            a.add(program);
        }
        boolean placed = false;
        for (String s : cmd) {
            if (s.equals("@")) {
                a.add(img.toString());
                placed = true;
            } else {
                a.add(s);
            }
        }
        if (!placed) {
            a.add(img.toString());
        }
        return a.toArray(String[]::new);
    }

    /** The message is qemu-img's; the detail qimg found (field and offset) is still there with --debug. */
    @Test
    void debugKeepsQimgsDetail() throws IOException {
        Path img = new DamageCase("debug L1 too small", "v3", e -> e.put32(36, 0)).applyTo(dir, "");
        ProcResult m = Qimg.inProcess("info", "--debug", img.toString());
        assertThat(m.exitCode()).isEqualTo(1);
        assertThat(m.stderrLines().get(0)).isEqualTo("qimg: Could not open '" + img + "': L1 table is too small");
        assertThat(m.stderr()).contains("offset 36 (0x24)").contains("l1_size is 0");
    }

    /** refcount_table_clusters = 0 stops every command but check, which QEMU opens in its check mode. */
    @Test
    void noRefcountTableIsRefusedExceptByCheck() throws IOException {
        Path img = new DamageCase("no refcount table", "v3", e -> e.put32(56, 0)).applyTo(dir, "");
        assertSameAsQemuImg(img, List.of("info", "-f", "qcow2"));
        assertSameAsQemuImg(img, List.of("convert", "-f", "qcow2", "-O", "raw", "@", dir.resolve("o.raw").toString()));
        assertSameAsQemuImg(img, List.of("check", "--output=json", "-f", "qcow2"));
    }
}
