package org.qimg.tests.foreign;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.tests.support.Proc;
import org.qimg.tests.support.ProcResult;
import org.qimg.tests.support.Qemu;
import org.qimg.tests.support.Scratch;

/**
 * Files qimg must recognise and refuse, made once per test JVM in the scratch directory "foreign": images of
 * every format qemu-img creates (empty, and converted from {@link #SOURCE} so they hold data), images of
 * formats qemu-img cannot create built here byte by byte (and a LUKS volume, which needs qemu-img's key slot).
 */
final class ForeignFiles {
    /** A raw disk of 1 MiB with data in three places; every converted file holds it. */
    static final String SOURCE = "source.raw";

    /**
     * One file to refuse: its name (relative to {@link #dir()}) and what the message must say about it; with
     * no file, {@code says} is why it could not be made.
     */
    record Case(String label, String file, String says) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static Path dir;
    private static final List<Case> CASES = new ArrayList<>();

    private ForeignFiles() {
    }

    static synchronized Path dir() {
        if (dir == null) {
            dir = Scratch.dir("foreign");
            build(new Qemu(dir));
        }
        return dir;
    }

    static List<Case> cases() {
        dir();
        return CASES;
    }

    private static void build(Qemu q) {
        write(SOURCE, source());
        for (String sub : List.of("monolithicSparse", "streamOptimized", "monolithicFlat", "twoGbMaxExtentSparse")) {
            String f = "vmdk-" + sub + ".vmdk";
            // qimg reads vmdk since issue 12 (tests/vmdk): these files are kept for the OVA and raw-probe cases
            q.img("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=" + sub, SOURCE, f);
        }
        for (String[] f : new String[][] {{"vhdx", "vhdx", ""}, {"vpc", "vhd", "subformat=dynamic"},
                {"vpc", "fixed.vhd", "subformat=fixed"}, {"vdi", "vdi", ""}, {"qed", "qed", ""}, {"qcow", "qcow", ""},
                {"parallels", "parallels", ""}}) {
            String base = f[1].replace('.', '-');
            List<String> opts = f[2].isEmpty() ? List.of() : List.of("-o", f[2]);
            List<String> convert = new ArrayList<>(List.of("convert", "-f", "raw", "-O", f[0]));
            convert.addAll(opts);
            convert.addAll(List.of(SOURCE, "data-" + base + "." + f[0]));
            q.img(convert.toArray(String[]::new));
            add(f[0] + " " + (f[2].isEmpty() ? "with data" : f[2]), "data-" + base + "." + f[0],
                    "image format '" + f[0] + "'");
            List<String> create = new ArrayList<>(List.of("create", "-q", "-f", f[0]));
            create.addAll(opts);
            create.addAll(List.of("empty-" + base + "." + f[0], "1M"));
            q.img(create.toArray(String[]::new));
            add(f[0] + " created empty" + (f[2].isEmpty() ? "" : " " + f[2]), "empty-" + base + "." + f[0],
                    "image format '" + f[0] + "'");
        }
        // iter-time lowered as in ErrorCasesTest: qemu's PBKDF calibration is slow on this kind of machine
        q.createWithKeySlot(q.workDir().resolve("volume.luks"), "create", "-q", "-f", "luks", "--object",
                "secret,id=sec0,data=abc", "-o", "key-secret=sec0,iter-time=10", "volume.luks", "1M");
        add("luks", "volume.luks", "image format 'luks'");
        handMade();
        // compressed files and archives are read since issue 13 (tests/containers), and the VMDKs inside them
        // since issue 12 (tests/ova OvaReadTest): none is refused any more
    }

    /** Formats qemu-img reads but cannot create. */
    private static void handMade() {
        // dmg: QEMU 7.2 probes it by the ".dmg" suffix alone (score 2): here raw bytes under that name
        write("named.dmg", source());
        add("dmg by file name", "named.dmg", "image format 'dmg'");
        // dmg: the UDIF trailer, 512 bytes at the end: "koly", version 4, header size 512 (all big-endian)
        ByteBuffer koly = ByteBuffer.allocate(512).order(ByteOrder.BIG_ENDIAN);
        koly.put(ascii("koly")).putInt(4).putInt(512);
        write("trailer.img", concat(source(), koly.array()));
        add("dmg by koly trailer", "trailer.img", "image format 'dmg'");
        // cloop: the v2.0 shell-script header, then big-endian block size and block count at offset 128
        ByteBuffer cloop = ByteBuffer.allocate(1024).order(ByteOrder.BIG_ENDIAN);
        cloop.put(ascii("#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"));
        cloop.putInt(128, 65536).putInt(132, 1);
        write("disk.cloop", cloop.array());
        add("cloop", "disk.cloop", "image format 'cloop'");
        // bochs: NUL-terminated magic (32 bytes), type (16) and subtype (16), little-endian version 2.0
        // and header size 512 at 64 and 68, then the disk (a redolog's catalog would follow at 512)
        ByteBuffer bochs = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        bochs.put(0, ascii("Bochs Virtual HD Image")).put(32, ascii("Redolog")).put(48, ascii("Growing"));
        bochs.putInt(64, 0x00020000).putInt(68, 512);
        write("disk.bochs", bochs.array());
        add("bochs", "disk.bochs", "image format 'bochs'");
        // vmdk ("KDMV", "COWD" and descriptors) is read by qimg since issue 12: see tests/vmdk
    }

    private static void add(String label, String file, String says) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            throw new AssertionError(label + ": " + file + " was not made");
        }
        CASES.add(new Case(label, file, says));
    }

    /** 1 MiB: a boot-sector-like first sector, a run at 64 KiB and the last 4 KiB, zeros elsewhere. */
    static byte[] source() {
        byte[] b = new byte[1 << 20];
        for (int i = 0; i < 446; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        b[510] = 0x55;
        b[511] = (byte) 0xaa;
        for (int i = 65536; i < 65536 + 20000; i++) {
            b[i] = (byte) (i % 251);
        }
        for (int i = b.length - 4096; i < b.length; i++) {
            b[i] = (byte) 0xa5;
        }
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void write(String name, byte[] bytes) {
        try {
            Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
