package org.qimg.format.qcow2.read;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A least-recently-used cache of L2 tables keyed by their host offset, bounded in bytes. Tables are
 * immutable {@code long[]} arrays once published, so readers share them without locking; only the map
 * itself is guarded. Two threads missing the same table may both load it; the second put wins, which is
 * harmless because both hold the same bytes.
 */
final class L2Cache {
    private final long budgetBytes;
    private final long tableBytes;
    private final LinkedHashMap<Long, long[]> tables = new LinkedHashMap<>(16, 0.75f, true);
    private long hits;
    private long misses;

    /** At least one table is always kept, whatever the budget. */
    L2Cache(long budgetBytes, int tableBytes) {
        this.budgetBytes = Math.max(budgetBytes, tableBytes);
        this.tableBytes = tableBytes;
    }

    synchronized long[] get(long hostOffset) {
        long[] t = tables.get(hostOffset);
        if (t != null) {
            hits++;
        } else {
            misses++;
        }
        return t;
    }

    synchronized void put(long hostOffset, long[] table) {
        tables.put(hostOffset, table);
        var it = tables.entrySet().iterator();
        while ((long) tables.size() * tableBytes > budgetBytes && it.hasNext()) {
            Map.Entry<Long, long[]> eldest = it.next();
            if (eldest.getKey() != hostOffset) {
                it.remove();
            }
        }
    }

    synchronized int size() {
        return tables.size();
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }
}
