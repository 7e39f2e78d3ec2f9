/**
 * Reading qcow2: {@link org.qimg.format.qcow2.read.Qcow2Image} is the {@link org.qimg.format.DiskImage}.
 * Package-private parts: {@code ClusterMap} (L1/L2 lookup, cluster and subcluster classification, run
 * merging), {@code L2Cache} (LRU by bytes, shared by an image and its snapshot views), {@code SnapshotTable},
 * {@code BitmapDirectory} (names and flags only, for info), {@code MetadataPreallocation} (QEMU's guess in
 * block status).
 *
 * <p>Memory: the active L1 table is held whole (at most 32 MiB, QEMU's limit; 8 bytes per L2 table's worth
 * of guest space), L2 tables within {@link org.qimg.format.OpenOptions#cacheBytes()} per layer, and each
 * reading thread keeps three clusters of scratch space per image for compressed clusters.
 */
package org.qimg.format.qcow2.read;
