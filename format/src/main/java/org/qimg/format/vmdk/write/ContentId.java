package org.qimg.format.vmdk.write;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A content identifier for the descriptor's {@code CID}: a CRC-32C over every grain stored (its index and its
 * stored bytes) and the capacity. QEMU and VMware draw the CID at random; qimg derives it from what it writes, so
 * that converting the same input twice gives the same file, while different content gives (almost always) a
 * different CID, which is what a child's {@code parentCID} check needs. Never {@code ffffffff} (that is "no
 * parent") or {@code fffffffe} (VMware's tool avoids it too).
 */
final class ContentId {
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer word = ByteBuffer.allocate(8);

    void grain(long index, ByteBuffer stored) {
        crc.update(word.clear().putLong(0, index));
        crc.update(stored.duplicate());
    }

    long cid(long capacity) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(12).putInt((int) crc.getValue()).putLong(capacity).flip());
        long v = c.getValue();
        return v >= 0xfffffffeL ? v - 2 : v;
    }

    /** Four 32-bit words for {@code ddb.longContentID}: vmdk-convert's layout (three words, then the CID). */
    int[] longContentId(long capacity) {
        long cid = cid(capacity);
        int[] w = new int[4];
        CRC32C c = new CRC32C();
        for (int i = 0; i < 3; i++) {
            c.update(ByteBuffer.allocate(12).putInt((int) crc.getValue()).putInt(i).putInt((int) cid).flip());
            w[i] = (int) c.getValue();
        }
        w[3] = (int) cid;
        return w;
    }
}
