package org.qimg.tests.vmdk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Byte-level builders and patchers for VMDK files the tests cannot get from qemu-img. */
final class VmdkFiles {
    private VmdkFiles() {
    }

    /**
     * A COWD (VMDK 3, vmfsSparse) extent of {@code sectors} sectors with 4 KiB grains: header, grain directory
     * at sector 4, one grain table per 4096 grains from sector 8, and random grains at the given grain indexes.
     * The layout follows QEMU's VMDK3Header: little-endian version, flags, disk sectors, granularity, directory
     * offset and size after the big-endian "COWD".
     */
    static void cowd(Path file, long sectors, int[] grains, long seed) {
        int gran = 8;
        int gtes = 4096;
        int tables = (int) ((sectors + (long) gtes * gran - 1) / ((long) gtes * gran));
        int gtStart = 8;
        int gtSectors = gtes * 4 / 512;
        int next = gtStart + tables * gtSectors;
        int[][] gt = new int[tables][gtes];
        for (int g : grains) {
            gt[g / gtes][g % gtes] = next;
            next += gran;
        }
        ByteBuffer b = ByteBuffer.allocate(next * 512).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, "COWD".getBytes(StandardCharsets.US_ASCII));
        b.putInt(4, 1).putInt(8, 3).putInt(12, (int) sectors).putInt(16, gran).putInt(20, 4).putInt(24, tables);
        for (int t = 0; t < tables; t++) {
            b.putInt(4 * 512 + 4 * t, gtStart + t * gtSectors);
            for (int i = 0; i < gtes; i++) {
                b.putInt((gtStart + t * gtSectors) * 512 + 4 * i, gt[t][i]);
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = (gtStart + tables * gtSectors) * 512; i < b.capacity(); i++) {
            b.put(i, (byte) rnd.nextInt(256));
        }
        write(file, b.array());
    }

    /**
     * A streamOptimized file turned into the form VMware writes: the header's gdOffset (offset 56) becomes
     * GD_AT_END (-1) and three sectors are appended: a footer marker (lba 1, size 0, type 3), the footer (the
     * original header, with the real gdOffset) and an end-of-stream marker (all zeros).
     */
    static byte[] withFooter(byte[] so) {
        if (so.length % 512 != 0) {
            throw new IllegalArgumentException("not a whole number of sectors: " + so.length);
        }
        byte[] out = java.util.Arrays.copyOf(so, so.length + 3 * 512);
        System.arraycopy(so, 0, out, so.length + 512, 512);
        put64(out, so.length, 1);
        put32(out, so.length + 12, 3);
        put64(out, 56, -1L);
        return out;
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void text(Path file, String text) {
        write(file, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A descriptor file with the given create type and extent lines (and optional extra key lines). */
    static String descriptor(String createType, String... lines) {
        return "# Disk DescriptorFile\nversion=1\nCID=1a2b3c4d\nparentCID=ffffffff\ncreateType=\"" + createType
                + "\"\n# Extent description\n" + String.join("\n", lines) + "\n";
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Little-endian reads and writes on a file's bytes. */
    static long le64(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
    }

    static long le32(byte[] b, int at) {
        return Integer.toUnsignedLong(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at));
    }

    static void put64(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    static void put32(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
    }
}
