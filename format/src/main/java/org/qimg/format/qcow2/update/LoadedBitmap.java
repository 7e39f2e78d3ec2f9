package org.qimg.format.qcow2.update;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.qimg.format.DirtyBitmap;

/**
 * One bitmap of an image as QEMU holds it in memory ({@link Qcow2Bitmaps}): its bits are what it had on disk
 * (unless cleared) and what was merged into it, computed when read.
 */
final class LoadedBitmap implements DirtyBitmap {
    final String name;
    final int granularityBits;
    boolean enabled;
    final boolean inconsistent;
    StoredBitmap stored;
    final List<DirtyBitmap> merged = new ArrayList<>();

    private final long size;

    LoadedBitmap(String name, int granularityBits, boolean enabled, boolean inconsistent, StoredBitmap stored,
                 long size) {
        this.size = size;
        this.name = name;
        this.granularityBits = granularityBits;
        this.enabled = enabled;
        this.inconsistent = inconsistent;
        this.stored = stored;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long granularity() {
        return 1L << granularityBits;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public boolean inconsistent() {
        return inconsistent;
    }

    @Override
    public boolean read(long from, byte[] dst, int off, int len) throws IOException {
        boolean any = stored != null && stored.read(from, dst, off, len);
        if (stored == null) {
            java.util.Arrays.fill(dst, off, off + len, (byte) 0);
        }
        if (!merged.isEmpty()) {
            byte[] part = off == 0 && len == dst.length ? dst : new byte[len];
            if (part != dst) {
                System.arraycopy(dst, off, part, 0, len);
            }
            for (DirtyBitmap m : merged) {
                any |= BitmapMerge.orInto(m, granularityBits, size, from * 8, part);
            }
            if (part != dst) {
                System.arraycopy(part, 0, dst, off, len);
            }
        }
        return any;
    }
}
