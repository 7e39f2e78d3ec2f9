package org.qimg.format;

import org.qimg.format.codec.CompressionType;

/**
 * How one image layer stores guest data, for callers that plan reads, explain a layout or mimic QEMU's block
 * status without knowing the format: the facts a qcow2 header holds, and that a VMDK (grains, grain tables,
 * compressed grains of streamOptimized) or VHDX (blocks, BAT) can state as well.
 *
 * @param clusterSize      the allocation unit in bytes (qcow2's cluster, VMDK's grain), a power of two; 0 for
 *                         an image without one (raw: the file is the disk). Compressed data is always stored
 *                         in whole units: each compressed cluster is one payload (see
 *                         {@link DiskImage#compressedPayload(long)}), and QEMU reports them one at a time.
 * @param tableSpan        guest bytes one mapping table describes (a qcow2 L2 table, a VMDK grain table), a
 *                         power of two; every table covers an aligned range, so one metadata lookup, and one
 *                         run of QEMU's block status, never crosses a multiple of it. 0 when the image has no
 *                         mapping tables.
 * @param compression      the codec of compressed clusters (qcow2's compression type, also when no cluster
 *                         is compressed); null when the format stores nothing compressed
 * @param externalDataFile the file guest data lives in when it is not the image file, named as the image
 *                         names it (relative to the image's directory unless absolute); null when guest data
 *                         is in the image file itself. Host offsets of extents are offsets in this file.
 */
public record ImageLayout(int clusterSize, long tableSpan, CompressionType compression, String externalDataFile) {

    /**
     * The layout of an image without clusters, tables, compression or data file: a raw file, or a view (such
     * as a concatenation of images) that has no layout of its own.
     */
    public static final ImageLayout FLAT = new ImageLayout(0, 0, null, null);

    public ImageLayout {
        if (clusterSize < 0 || Integer.bitCount(clusterSize) > 1) {
            throw new IllegalArgumentException("cluster size must be 0 or a power of two: " + clusterSize);
        }
        if (tableSpan < 0 || Long.bitCount(tableSpan) > 1 || (tableSpan > 0 && tableSpan < clusterSize)) {
            throw new IllegalArgumentException("table span must be 0 or a power of two of at least one cluster: "
                    + tableSpan);
        }
        if (clusterSize == 0 && (tableSpan != 0 || compression != null)) {
            throw new IllegalArgumentException("an image without clusters has no tables and no compression");
        }
    }

    /** True when the image has no allocation unit (raw). */
    public boolean flat() {
        return clusterSize == 0;
    }

    /** True when guest data lives in a file other than the image file. */
    public boolean hasExternalDataFile() {
        return externalDataFile != null;
    }
}
