package org.qimg.converters.map;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.qimg.converters.chain.BlockStatus;
import org.qimg.converters.chain.ChainWalker;
import org.qimg.format.DiskImage;

/**
 * Produces {@code qemu-img map}'s entries: walks the chain status from {@code startOffset} and merges
 * neighbours exactly as qemu-img 7.2 does, so the JSON output matches it entry for entry.
 */
public final class ImageMapper {
    /** Receives merged entries in guest order; {@code last} is true for the final one. */
    public interface Sink {
        void accept(MapEntry entry, boolean last) throws IOException;
    }

    private ImageMapper() {
    }

    /**
     * @param maxLength bytes to map from startOffset, or -1 for up to the end of the image
     */
    public static void map(DiskImage image, long startOffset, long maxLength, Sink sink) throws IOException {
        if (startOffset < 0) {
            throw new IllegalArgumentException("start offset must not be negative: " + startOffset);
        }
        long end = image.virtualSize();
        if (maxLength >= 0) {
            end = Math.min(end, saturatedAdd(startOffset, maxLength));
        }
        MapEntry curr = new MapEntry(startOffset, 0, 0, false, false, false, -1, null);
        while (curr.end() < end) {
            long offset = curr.end();
            BlockStatus s = ChainWalker.statusAt(image, offset, end - offset);
            MapEntry next = toEntry(s);
            if (curr.mergeableWith(next)) {
                curr = curr.extendedBy(next.length());
                continue;
            }
            if (curr.length() > 0) {
                sink.accept(curr, false);
            }
            curr = next;
        }
        sink.accept(curr, true);
    }

    /** All entries in a list (for tests and small images). */
    public static List<MapEntry> map(DiskImage image, long startOffset, long maxLength) throws IOException {
        List<MapEntry> out = new ArrayList<>();
        map(image, startOffset, maxLength, (e, last) -> out.add(e));
        return out;
    }

    static MapEntry toEntry(BlockStatus s) {
        boolean hasOffset = s.hostOffset() >= 0;
        return new MapEntry(s.start(), s.length(), s.depth(), s.present(), s.zero(), s.data(),
                hasOffset ? s.hostOffset() : -1, hasOffset ? s.layer().hostFile(s.start()) : null);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return r < a ? Long.MAX_VALUE : r;
    }
}
