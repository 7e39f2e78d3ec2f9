package org.qimg.tests.integrity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Byte-level edits of a qcow2 file for damage tests, written from the spec (docs/interop/qcow2.txt):
 * header fields are big-endian at fixed offsets, the refcount table holds 8-byte refblock offsets, a
 * refblock holds refcount_bits-wide entries (sub-byte ones packed from the low bit), L1/L2 entries are
 * 8 bytes with the host offset in bits 9..55.
 */
final class Qcow2Edit implements AutoCloseable {
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;

    private final FileChannel ch;
    final int clusterBits;
    final int refcountOrder;

    Qcow2Edit(Path file) throws IOException {
        ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        clusterBits = u32(20);
        refcountOrder = u32(4) >= 3 ? u32(96) : 4;
    }

    long clusterSize() {
        return 1L << clusterBits;
    }

    long fileLength() throws IOException {
        return ch.size();
    }

    /** Cuts the file to {@code length} bytes. */
    void truncate(long length) throws IOException {
        ch.truncate(length);
    }

    int u32(long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4);
        ch.read(b, at);
        return b.getInt(0);
    }

    long u64(long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        ch.read(b, at);
        return b.getLong(0);
    }

    byte[] bytes(long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        ch.read(b, at);
        return b.array();
    }

    /**
     * Rewrites the first snapshot table entry (in place, so the table must stay inside its cluster) with
     * {@code extra} bytes of extra data: its stored extra data cut or padded with zeros, id and name kept.
     */
    void resizeFirstSnapshotExtra(int extra) throws IOException {
        long at = u64(64);
        ByteBuffer head = ByteBuffer.wrap(bytes(at, 40));
        int ids = head.getShort(12) & 0xffff;
        int names = head.getShort(14) & 0xffff;
        int old = head.getInt(36);
        byte[] oldExtra = bytes(at + 40, old);
        byte[] idName = bytes(at + 40 + old, ids + names);
        ByteBuffer e = ByteBuffer.allocate(40 + extra + ids + names);
        e.put(head.array(), 0, 36).putInt(extra).put(java.util.Arrays.copyOf(oldExtra, extra)).put(idName);
        putBytes(at, e.array());
    }

    void put32(long at, int v) throws IOException {
        ch.write(ByteBuffer.allocate(4).putInt(0, v), at);
    }

    void putBytes(long at, byte[] b) throws IOException {
        ch.write(ByteBuffer.wrap(b), at);
    }

    void put64(long at, long v) throws IOException {
        ch.write(ByteBuffer.allocate(8).putLong(0, v), at);
    }

    long l1Offset() throws IOException {
        return u64(40);
    }

    long reftableOffset() throws IOException {
        return u64(48);
    }

    long l2Offset(int l1Index) throws IOException {
        return u64(l1Offset() + 8L * l1Index) & OFFSET_MASK;
    }

    long l2Entry(int l1Index, int l2Index) throws IOException {
        return u64(l2Offset(l1Index) + 8L * l2Index);
    }

    void setL2Entry(int l1Index, int l2Index, long v) throws IOException {
        put64(l2Offset(l1Index) + 8L * l2Index, v);
    }

    /** Stored refcount of host cluster {@code c} (its refcount block must exist). */
    long refcount(long c) throws IOException {
        long[] where = locate(c);
        int bits = 1 << refcountOrder;
        if (bits < 8) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, where[0]);
            return ((b.get(0) & 0xff) >>> where[1]) & ((1 << bits) - 1);
        }
        ByteBuffer b = ByteBuffer.allocate(bits / 8);
        ch.read(b, where[0]);
        long v = 0;
        for (int i = 0; i < bits / 8; i++) {
            v = (v << 8) | (b.get(i) & 0xff);
        }
        return v;
    }

    void setRefcount(long c, long value) throws IOException {
        long[] where = locate(c);
        int bits = 1 << refcountOrder;
        if (bits < 8) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, where[0]);
            int mask = ((1 << bits) - 1) << where[1];
            b.put(0, (byte) ((b.get(0) & ~mask) | ((int) (value << where[1]) & mask)));
            ch.write(b.rewind(), where[0]);
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(bits / 8);
        for (int i = 0; i < bits / 8; i++) {
            b.put(i, (byte) (value >>> (bits - 8 - 8 * i)));
        }
        ch.write(b, where[0]);
    }

    /** {byte offset of the entry, bit shift inside that byte} for cluster {@code c}. */
    private long[] locate(long c) throws IOException {
        int blockBits = clusterBits + 3 - refcountOrder;
        long block = u64(reftableOffset() + 8 * (c >>> blockBits)) & OFFSET_MASK;
        if (block == 0) {
            throw new IllegalStateException("no refcount block for cluster " + c);
        }
        long bitPos = (c & ((1L << blockBits) - 1)) << refcountOrder;
        return new long[] {block + bitPos / 8, bitPos % 8};
    }

    /**
     * Offset of the bitmaps header extension's data (nb_bitmaps 0, reserved 4, directory size 8, directory
     * offset 16); the image must have one.
     */
    long bitmapsExtension() throws IOException {
        long pos = u32(100);
        while (pos + 8 <= clusterSize()) {
            int type = u32(pos);
            long len = Integer.toUnsignedLong(u32(pos + 4));
            if (type == 0x23852875) {
                return pos + 8;
            }
            if (type == 0) {
                break;
            }
            pos += 8 + ((len + 7) & ~7L);
        }
        throw new IllegalStateException("no bitmaps extension");
    }

    /**
     * Offset of bitmap directory entry {@code n} (table offset 0, table size 8, flags 12, type 16,
     * granularity bits 17, name size 18, extra data size 20, then extra data and name, padded to 8).
     */
    long bitmapEntry(int n) throws IOException {
        long at = u64(bitmapsExtension() + 16);
        for (int i = 0; i < n; i++) {
            int nameSize = bytes(at + 18, 2)[0] << 8 & 0xff00 | bytes(at + 19, 1)[0] & 0xff;
            at += (24 + nameSize + Integer.toUnsignedLong(u32(at + 20)) + 7) & ~7L;
        }
        return at;
    }

    /** Appends one zero cluster to the file and returns its index. */
    long appendCluster() throws IOException {
        long len = ch.size();
        long c = (len + clusterSize() - 1) >>> clusterBits;
        ch.write(ByteBuffer.allocate(1), ((c + 1) << clusterBits) - 1);
        return c;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
