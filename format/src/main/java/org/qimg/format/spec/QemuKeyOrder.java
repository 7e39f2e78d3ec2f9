package org.qimg.format.spec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key order in which QEMU prints a dictionary. QEMU's QDict is a 512-bucket hash table (the "tdb" string
 * hash); printing walks buckets in index order, and within a bucket the most recently inserted key comes
 * first. Reproducing that gives {@code qemu-img info}'s exact key order for any key set.
 */
public final class QemuKeyOrder {
    private static final int BUCKETS = 512;

    private QemuKeyOrder() {
    }

    public static int bucket(String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        int value = 0x238F13AF * b.length;
        for (int i = 0; i < b.length; i++) {
            value += (b[i] & 0xff) << (i * 5 % 24);
        }
        int hash = 1103515243 * value + 12345;
        return (int) (Integer.toUnsignedLong(hash) % BUCKETS);
    }

    /**
     * A copy of {@code map} (keys in QEMU's insertion order) re-ordered as QEMU prints it; nested maps and
     * lists of maps are re-ordered too.
     */
    public static Map<String, Object> reorder(Map<String, ?> map) {
        List<Map.Entry<String, ?>> entries = new ArrayList<>(map.entrySet());
        List<Integer> insertion = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            insertion.add(i);
        }
        insertion.sort(Comparator.<Integer>comparingInt(i -> bucket(entries.get(i).getKey()))
                .thenComparing(Comparator.<Integer>reverseOrder()));
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i : insertion) {
            out.put(entries.get(i).getKey(), reorderValue(entries.get(i).getValue()));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object reorderValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            return reorder((Map<String, ?>) m);
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>();
            for (Object o : c) {
                out.add(reorderValue(o));
            }
            return out;
        }
        return v;
    }
}
