package org.qimg.converters.convert;

import java.nio.ByteBuffer;
import org.qimg.format.io.Positional;

/**
 * The memory one in-flight data chunk uses: the guest bytes, the compressed payloads and the per-cluster
 * (or per-run) results. A fixed number of slots exists per conversion; that bounds memory in flight.
 */
final class Slot {
    static final byte ZERO = 0;
    static final byte PLAIN = 1;
    static final byte COMPRESSED = 2;

    final ByteBuffer in;
    final ByteBuffer out;
    final byte[] kinds;
    final int[] payloadOffset;
    final int[] payloadLength;
    final int[] runs;
    /** Request mode: per cluster, the subclusters (of 32) written, and whether a new allocation starts. */
    final int[] masks;
    final boolean[] startsWrite;
    Chunk chunk;
    int clusters;
    int runPairs;

    Slot(int chunkSize, int granule, boolean compressed) {
        in = Positional.alignedBuffer(chunkSize); // whole clusters from it may bypass the page cache
        out = compressed ? ByteBuffer.allocateDirect(chunkSize) : null;
        int units = chunkSize / granule + 1;
        kinds = new byte[units];
        payloadOffset = new int[units];
        payloadLength = new int[units];
        masks = new int[units];
        startsWrite = new boolean[units];
        runs = new int[2 * (chunkSize / SparseScan.SECTOR + 2)];
    }
}
