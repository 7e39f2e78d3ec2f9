package org.qimg.converters.convert;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The data writes of a new image that land behind data written before them, listed by the first pass of a stream
 * output ({@link PlanChannel}) without their bytes: where, how long, which guest data, and a CRC-32C of the
 * bytes. qcow2 makes them when it packs a compressed payload into the rest of a cluster it started before later
 * clusters were allocated, and when it reuses the clusters of a refcount table it replaced. The second pass
 * ({@link EmitChannel}) recomputes each from the source when the stream reaches its place ({@link Recompute}).
 * 24 bytes each; at most one per compressed cluster (a realistic 1 GiB disk made about 60).
 */
final class BehindWrites {
    private long[] position = new long[64];
    private long[] guest = new long[64];
    /** Length in the low 32 bits, compressed cluster size (0: plain) in the high ones. */
    private long[] lengths = new long[64];
    private int[] crc = new int[64];
    private int count;
    private int[] byPosition;

    void add(long pos, ByteBuffer bytes, long guestOffset, int compressedCluster) {
        if (count == position.length) {
            int n = Math.multiplyExact(count, 2);
            position = Arrays.copyOf(position, n);
            guest = Arrays.copyOf(guest, n);
            lengths = Arrays.copyOf(lengths, n);
            crc = Arrays.copyOf(crc, n);
        }
        position[count] = pos;
        guest[count] = guestOffset;
        lengths[count] = ((long) compressedCluster << 32) | bytes.remaining();
        crc[count] = crcOf(bytes);
        count++;
        byPosition = null;
    }

    static int crcOf(ByteBuffer bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes.duplicate());
        return (int) c.getValue();
    }

    int count() {
        return count;
    }

    /** Bytes these writes hold together. */
    long bytes() {
        long b = 0;
        for (int i = 0; i < count; i++) {
            b += length(i);
        }
        return b;
    }

    long position(int i) {
        return position[i];
    }

    int length(int i) {
        return (int) lengths[i];
    }

    long guestOffset(int i) {
        return guest[i];
    }

    int compressedCluster(int i) {
        return (int) (lengths[i] >>> 32);
    }

    int crc(int i) {
        return crc[i];
    }

    /** The i-th write in increasing position (the list itself is in the order the writes came). */
    int byPosition(int i) {
        if (byPosition == null) {
            byPosition = java.util.stream.IntStream.range(0, count).boxed()
                    .sorted((a, b) -> Long.compare(position[a], position[b])).mapToInt(Integer::intValue).toArray();
        }
        return byPosition[i];
    }
}
