package org.qimg.format.vmdk.read;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Grain tables recently read, shared by the sparse extents of one image and bounded in bytes (least recently
 * used first out). Thread-safe.
 */
final class GrainTableCache {
    private record Key(Object extent, long sector) {
    }

    private final long budget;
    private long bytes;
    private final LinkedHashMap<Key, int[]> tables = new LinkedHashMap<>(64, 0.75f, true);

    /** A cache holding at most {@code budget} bytes of tables (and always at least one table). */
    GrainTableCache(long budget) {
        this.budget = Math.max(budget, 64 * 1024);
    }

    synchronized int[] get(Object extent, long sector) {
        return tables.get(new Key(extent, sector));
    }

    synchronized void put(Object extent, long sector, int[] table) {
        if (tables.put(new Key(extent, sector), table) == null) {
            bytes += 4L * table.length;
        }
        var it = tables.entrySet().iterator();
        while (bytes > budget && tables.size() > 1 && it.hasNext()) {
            Map.Entry<Key, int[]> e = it.next();
            bytes -= 4L * e.getValue().length;
            it.remove();
        }
    }

    synchronized int size() {
        return tables.size();
    }
}
