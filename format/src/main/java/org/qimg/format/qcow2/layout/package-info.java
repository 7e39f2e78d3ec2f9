/**
 * The qcow2 on-disk layout, each fact in one place, shaped like the sections of QEMU's
 * {@code docs/interop/qcow2.txt}: {@link org.qimg.format.qcow2.layout.HeaderLayout} (header fields, feature
 * bits, extension types, QEMU's limits), {@link org.qimg.format.qcow2.layout.HeaderFields} (the header decoded
 * once), {@link org.qimg.format.qcow2.layout.Entries} (L1/L2/refcount-table entries, compressed descriptors),
 * {@link org.qimg.format.qcow2.layout.RefcountCodec} (refcount widths 1..64),
 * {@link org.qimg.format.qcow2.layout.SnapshotEntryHead}, {@link org.qimg.format.qcow2.layout.BitmapEntryHead},
 * {@link org.qimg.format.qcow2.layout.ExtensionWalk}, {@link org.qimg.format.qcow2.layout.BitmapRules} and
 * {@link org.qimg.format.qcow2.layout.BitmapDirectoryCodec} (the bitmap directory framed and encoded); and
 * the header as QEMU accepts it when it opens an image ({@link org.qimg.format.qcow2.layout.Qcow2Header},
 * with its {@link org.qimg.format.qcow2.layout.HeaderExtensions}), which the reader and the in-place updater
 * share. Reading, writing, updating and checking stand on this package and never on each other.
 */
package org.qimg.format.qcow2.layout;
