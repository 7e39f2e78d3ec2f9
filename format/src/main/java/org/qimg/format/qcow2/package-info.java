/**
 * qcow2 versions 2 and 3 (QEMU's {@code docs/interop/qcow2.txt}). {@link org.qimg.format.qcow2.Qcow2Format}
 * is the format's entry in the registry; the work lives in sibling packages that all stand on one layout
 * layer and never import each other:
 * <ul>
 *   <li>{@code layout}: every on-disk fact, written once: header fields and feature bits, entry bits and the
 *       compressed descriptor codec, refcount widths, snapshot and bitmap entry heads, the extension walk,
 *       and the header as QEMU accepts it on open ({@code Qcow2Header});</li>
 *   <li>{@code read}: the {@link org.qimg.format.DiskImage} of a qcow2 file;</li>
 *   <li>{@code write}: new images, laid out as qemu-img lays them out;</li>
 *   <li>{@code update}: writes into an existing image in place ({@code convert -n});</li>
 *   <li>{@code check}: {@code qemu-img check} and its repairs, with check's own view of the header.</li>
 * </ul>
 */
package org.qimg.format.qcow2;
