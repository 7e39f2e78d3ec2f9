/**
 * Writing into an existing qcow2 image in place ({@code convert -n}):
 * {@link org.qimg.format.qcow2.update.Qcow2Updater} overwrites, allocates and frees clusters with exact
 * refcounts, in an order that leaves the image consistent (at worst leaked clusters) if it stops midway.
 * The same refcounts serve {@code resize} ({@code Qcow2Resizer}), internal snapshots ({@code Qcow2Snapshots})
 * and persistent dirty bitmaps ({@link org.qimg.format.qcow2.update.Qcow2Bitmaps}: QEMU's store sequence, with
 * {@code StoredBitmap} reading a bitmap's table and data, {@code BitmapMerge} merging bits across
 * granularities, and {@code HeaderRewrite} laying out the header cluster as {@code qcow2_update_header}).
 */
package org.qimg.format.qcow2.update;
