package org.qimg.format.qcow2.write;

/** Size arithmetic QEMU's qcow2 driver uses for metadata (shared by the writer and measure). */
public final class WriterMath {
    private WriterMath() {
    }

    /**
     * qcow2_refcount_metadata_size: the refcount blocks and table clusters needed to refcount
     * {@code clusters} clusters and themselves; {@code generous} leaves room for a 1.5x table.
     *
     * @return {refcount block count, (blocks + table clusters) * cluster size in bytes}
     */
    public static long[] refcountMetadata(long clusters, long clusterSize, int refcountOrder, boolean generous) {
        long blocksPerTableCluster = clusterSize / 8;
        long refcountsPerBlock = clusterSize * 8 / (1L << refcountOrder);
        long table = 0;
        long blocks = 0;
        long n = 0;
        long last;
        do {
            last = n;
            blocks = ceilDiv(clusters + table + blocks, refcountsPerBlock);
            table = ceilDiv(blocks, blocksPerTableCluster);
            n = clusters + blocks + table;
            if (n == last && generous) {
                clusters += ceilDiv(table, 2);
                n = 0;
                generous = false;
            }
        } while (n != last);
        return new long[] {blocks, Math.multiplyExact(blocks + table, clusterSize)};
    }

    /**
     * qcow2_calc_prealloc_size: bytes of a fully allocated image of {@code totalSize} guest bytes,
     * metadata included.
     */
    public static long preallocSize(long totalSize, long clusterSize, int refcountOrder, boolean extendedL2) {
        long l2EntrySize = extendedL2 ? 16 : 8;
        long aligned = roundUp(totalSize, clusterSize);
        long meta = clusterSize;
        long nl2e = aligned / clusterSize;
        nl2e = roundUp(nl2e, clusterSize / l2EntrySize);
        meta += nl2e * l2EntrySize;
        long nl1e = nl2e * l2EntrySize / clusterSize;
        nl1e = roundUp(nl1e, clusterSize / 8);
        meta += nl1e * 8;
        meta += refcountMetadata((meta + aligned) / clusterSize, clusterSize, refcountOrder, false)[1];
        return meta + aligned;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    static long roundUp(long a, long b) {
        return ceilDiv(a, b) * b;
    }
}
