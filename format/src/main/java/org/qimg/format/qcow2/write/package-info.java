/**
 * Writing new qcow2 images: {@link org.qimg.format.qcow2.write.Qcow2Writer} places clusters (plain,
 * compressed with the byte-granular packing QEMU uses, zero) and lays out header, refcounts and tables as
 * qemu-img does, so plain and compressed output is byte-identical to qemu-img's;
 * {@link org.qimg.format.qcow2.write.Qcow2CreateOptions} parses {@code -o} as qemu-img does.
 */
package org.qimg.format.qcow2.write;
