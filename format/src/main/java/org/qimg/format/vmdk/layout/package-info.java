/**
 * The VMDK on-disk layout, each fact in one place, shaped like the sections of VMware's "Virtual Disk
 * Format 5.0": {@link org.qimg.format.vmdk.layout.SparseLayout} (the hosted sparse extent header's offsets,
 * flags and units, grain table entry values), {@link org.qimg.format.vmdk.layout.SparseHeader} (the header
 * decoded once, and encoded), {@link org.qimg.format.vmdk.layout.Marker} (streamOptimized markers) and
 * {@link org.qimg.format.vmdk.layout.ExtentLine} (one extent line of a text descriptor). Reading and writing
 * stand on this package and never on each other.
 */
package org.qimg.format.vmdk.layout;
