package org.qimg.converters.convert;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A digest of the writes an image's writer makes, in order: kind, position, length and bytes of each. The two
 * passes of a stream output ({@link StreamedQcow2}) each keep one; equal digests mean the second pass wrote
 * what the first planned, i.e. the source read the same both times. (CRC-32C of the bytes, with the count and
 * sum of positions and lengths beside it: a cheap check against a source that changes, not a cryptographic one.)
 */
final class WriteLog {
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer head = ByteBuffer.allocate(17);
    private long writes;
    private long positions;
    private long bytes;

    /** Records a write of {@code src} (position to limit, not advanced) at {@code pos}. */
    void add(boolean data, long pos, ByteBuffer src) {
        int n = src.remaining();
        head.clear();
        head.put((byte) (data ? 1 : 0)).putLong(pos).putLong(n).flip();
        crc.update(head);
        crc.update(src.duplicate());
        writes++;
        positions += pos;
        bytes += n;
    }

    long writes() {
        return writes;
    }

    boolean sameAs(WriteLog other) {
        return crc.getValue() == other.crc.getValue() && writes == other.writes && positions == other.positions
                && bytes == other.bytes;
    }
}
