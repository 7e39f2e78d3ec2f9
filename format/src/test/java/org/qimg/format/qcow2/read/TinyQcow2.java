package org.qimg.format.qcow2.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.qimg.format.qcow2.layout.HeaderLayout;

/**
 * Builds a small, valid qcow2 v3 image byte by byte (4 KiB clusters, 1 MiB guest), which tests then break
 * one field at a time. Layout:
 * <pre>
 *   0x0000 cluster 0  header (112 bytes), header extensions at 112, backing name at 0x400 if any
 *   0x1000 cluster 1  refcount table: entry 0 -> 0x2000
 *   0x2000 cluster 2  refcount block (16-bit entries): clusters 0..6 have refcount 1
 *   0x3000 cluster 3  L1 table (1 entry): -> 0x4000, COPIED
 *   0x4000 cluster 4  L2 table: [0] data at 0x5000 COPIED, [1] compressed at 0x6000, [2] zero flag
 *   0x5000 cluster 5  guest cluster 0: bytes 0x00, 0x01, ... 0xff repeated
 *   0x6000 cluster 6  guest cluster 1 compressed (raw deflate of "qimg" repeated)
 *   0x7000 cluster 7  free (refcount 0), room for tests to put tables
 * </pre>
 */
final class TinyQcow2 {
    static final int CLUSTER = 4096;
    static final long GUEST_SIZE = 1 << 20;
    static final long L1 = 0x3000;
    static final long L2 = 0x4000;
    static final long DATA = 0x5000;
    static final long COMPRESSED = 0x6000;
    static final long COPIED = 1L << 63;
    static final long FREE = 0x7000;

    final ByteBuffer b = ByteBuffer.allocate(8 * CLUSTER);
    final byte[] guestCluster0 = new byte[CLUSTER];
    final byte[] guestCluster1 = new byte[CLUSTER];
    int compressedLength;

    TinyQcow2() {
        b.putInt(0, HeaderLayout.MAGIC);     // 0..3    magic "QFI\xfb"
        b.putInt(4, 3);                     // 4..7    version 3
        b.putLong(8, 0);                    // 8..15   backing_file_offset: none
        b.putInt(16, 0);                    // 16..19  backing_file_size
        b.putInt(20, 12);                   // 20..23  cluster_bits: 4096-byte clusters
        b.putLong(24, GUEST_SIZE);          // 24..31  virtual size 1 MiB
        b.putInt(32, 0);                    // 32..35  crypt_method: none
        b.putInt(36, 1);                    // 36..39  l1_size: 1 entry maps 512 * 4 KiB = 2 MiB
        b.putLong(40, L1);                  // 40..47  l1_table_offset
        b.putLong(48, 0x1000);              // 48..55  refcount_table_offset
        b.putInt(56, 1);                    // 56..59  refcount_table_clusters
        b.putInt(60, 0);                    // 60..63  nb_snapshots
        b.putLong(64, 0);                   // 64..71  snapshots_offset
        b.putLong(72, 0);                   // 72..79  incompatible_features
        b.putLong(80, 0);                   // 80..87  compatible_features
        b.putLong(88, 0);                   // 88..95  autoclear_features
        b.putInt(96, 4);                    // 96..99  refcount_order: 16-bit refcounts
        b.putInt(100, 112);                 // 100..103 header_length
        b.put(104, (byte) 0);               // 104     compression_type zlib; 105..111 padding
        // 112..119: header extension end marker (type 0, length 0): already zero
        b.putLong(0x1000, 0x2000);          // refcount table entry 0
        for (int i = 0; i < 7; i++) {
            b.putShort(0x2000 + 2 * i, (short) 1);
        }
        b.putLong((int) L1, L2 | COPIED);
        for (int i = 0; i < CLUSTER; i++) {
            guestCluster0[i] = (byte) i;
            guestCluster1[i] = (byte) "qimg".charAt(i % 4);
        }
        b.put((int) DATA, guestCluster0);
        Deflater d = new Deflater(6, true);
        d.setInput(guestCluster1);
        d.finish();
        byte[] out = new byte[CLUSTER];
        compressedLength = d.deflate(out);
        d.end();
        b.put((int) COMPRESSED, out, 0, compressedLength);
        b.putLong((int) L2, DATA | COPIED);
        b.putLong((int) L2 + 8, compressedEntry(COMPRESSED, compressedLength));
        b.putLong((int) L2 + 16, 1);        // zero flag, no host cluster
    }

    /** A compressed L2 entry for 4 KiB clusters: x = 62 - (12 - 8) = 58 offset bits, then sector count. */
    static long compressedEntry(long hostOffset, int length) {
        long sectors = (hostOffset + length - 1) / 512 - hostOffset / 512;
        return (1L << 62) | (sectors << 58) | hostOffset;
    }

    /** Puts a feature name table extension at 112 naming incompatible bit {@code bit}, then the end marker. */
    TinyQcow2 featureName(int bit, String name) {
        b.putInt(112, HeaderLayout.EXT_FEATURE_NAME_TABLE);
        b.putInt(116, 48);
        b.put(120, (byte) 0);                 // type: incompatible
        b.put(121, (byte) bit);               // bit number
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        b.put(122, n, 0, n.length);           // name, zero-padded to 46 bytes
        b.putLong(168, 0);                    // end marker at 120 + 48
        return this;
    }

    /**
     * Puts one header extension at 112 ({@code type}, then {@code data} padded to 8 bytes), then the end
     * marker. Replaces any extension put there before.
     */
    TinyQcow2 extension(int type, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        int padded = (d.length + 7) & ~7;
        b.putInt(112, type);
        b.putInt(116, d.length);
        b.put(120, new byte[padded]);
        b.put(120, d);
        b.putLong(120 + padded, 0);
        return this;
    }

    /** Names {@code format} as the backing format (the backing format extension). */
    TinyQcow2 backingFormat(String format) {
        return extension(HeaderLayout.EXT_BACKING_FORMAT, format);
    }

    /**
     * Keeps guest data in the external data file {@code name} (incompatible bit 2 and the data file
     * extension). Guest cluster 1 becomes unallocated: compressed clusters cannot live in a data file.
     */
    TinyQcow2 dataFile(String name) {
        b.putLong(72, b.getLong(72) | (1L << 2));
        b.putLong((int) L2 + 8, 0);
        return extension(HeaderLayout.EXT_EXTERNAL_DATA_FILE, name);
    }

    /** Stores a backing file name at 0x400 and points the header at it. */
    TinyQcow2 backing(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        b.putLong(8, 0x400);
        b.putInt(16, n.length);
        b.put(0x400, n);
        return this;
    }

    byte[] expectedGuest() {
        byte[] g = new byte[(int) GUEST_SIZE];
        System.arraycopy(guestCluster0, 0, g, 0, CLUSTER);
        System.arraycopy(guestCluster1, 0, g, CLUSTER, CLUSTER);
        return g;
    }

    Path write(Path file) throws IOException {
        Files.write(file, Arrays.copyOf(b.array(), b.capacity()));
        return file;
    }
}
