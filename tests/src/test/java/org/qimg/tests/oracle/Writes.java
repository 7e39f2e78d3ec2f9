package org.qimg.tests.oracle;

import java.util.ArrayList;
import java.util.List;

/**
 * The standard qemu-io write script for a qcow2 layer: several byte patterns; writes that cross cluster
 * and L2-table boundaries; unaligned sub-cluster writes; whole- and part-cluster zero writes over data;
 * explicitly written zero bytes; a write in a fresh cluster that leaves the rest of it (and, with extended
 * L2, its other subclusters) unallocated; and a write that ends at the very last byte.
 */
final class Writes {
    private Writes() {
    }

    /**
     * @param cs          cluster size in bytes
     * @param size        virtual size; must be at least 8 clusters
     * @param l2EntrySize 8, or 16 with extended L2
     */
    static List<String> standard(long cs, long size, int l2EntrySize) {
        if (size < 8 * cs) {
            throw new IllegalArgumentException("virtual size " + size + " < 8 clusters of " + cs);
        }
        long sub = cs / 32; // a subcluster with extended L2; just an odd unaligned range otherwise
        List<String> c = new ArrayList<>();
        c.add(w(0x11, 0, cs + cs / 2));                       // crosses cluster 0 -> 1
        c.add(w(0x22, 2 * cs + 100, 777));                   // unaligned
        c.add(w(0x33, 3 * cs - 300, 1000));                  // unaligned, crosses 2 -> 3
        c.add(w(0x66, 4 * cs, 3 * cs));                      // clusters 4..6
        c.add(z(5 * cs, cs));                                // whole cluster of zeros over data
        c.add(z(cs / 2, cs));                                // part-cluster zeros over data
        c.add(w(0x00, 6 * cs, cs / 2));                      // zero bytes written as data
        c.add(w(0x99, 7 * cs + 5 * sub, 3 * sub));           // partial fresh cluster / subclusters
        long l2span = cs / l2EntrySize * cs;
        for (long b = l2span; b + cs <= size - 2 * cs && b <= 3 * l2span; b += l2span) {
            c.add(w(0x44 + (int) (b / l2span), b - cs - 512, 2 * cs + 1024)); // crosses an L2 boundary
        }
        if (size >= 16 * cs) {
            c.add(w(0x77, size / 2 + 512, 2 * cs));
        }
        c.add(w(0xa5, size - 2 * cs - 700, cs));            // crosses a boundary near the end
        c.add(w(0xee, size - 1536, 1536));                  // ends at the last byte
        return c;
    }

    static String w(int pattern, long off, long len) {
        return String.format("write -P 0x%02x %d %d", pattern, off, len);
    }

    static String z(long off, long len) {
        return "write -z " + off + " " + len;
    }
}
