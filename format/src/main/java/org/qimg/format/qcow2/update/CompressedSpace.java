package org.qimg.format.qcow2.update;

import java.io.IOException;

/**
 * QEMU's byte allocator for compressed payloads ({@code qcow2_alloc_bytes}): payloads are placed back to back;
 * one continues into the next cluster only when that cluster is the next free one, else it starts a fresh
 * cluster; every host cluster a payload touches gets +1. Shared by the in-place writers of this package.
 */
final class CompressedSpace {
    private final UpdaterRefcounts refs;
    private final int clusterBits;
    private final int clusterSize;
    private long freeByte;

    CompressedSpace(UpdaterRefcounts refs, int clusterBits) {
        this.refs = refs;
        this.clusterBits = clusterBits;
        this.clusterSize = 1 << clusterBits;
    }

    /** Host byte offset for a payload of {@code len} bytes (1..cluster size); refcounts already counted. */
    long allocate(int len) throws IOException {
        long off = freeByte;
        if (off != 0 && refs.atMax(off >>> clusterBits)) {
            off = 0;
        }
        long room = off == 0 ? 0 : clusterSize - (off & (clusterSize - 1));
        if (off == 0 || room < len) {
            long c = refs.reserve();
            long next = (off + clusterSize - 1) >>> clusterBits;
            if (off == 0 || next != c) {
                off = c << clusterBits;
            }
        }
        for (long c = off >>> clusterBits; c <= (off + len - 1) >>> clusterBits; c++) {
            refs.add(c, 1);
        }
        freeByte = off + len;
        if ((freeByte & (clusterSize - 1)) == 0) {
            freeByte = 0;
        }
        return off;
    }
}
