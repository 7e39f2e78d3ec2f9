/**
 * OVA packages ({@code qimg convert -O ova}): an OVF descriptor, a manifest of digests and the disk as a
 * streamOptimized VMDK, in one tar archive in the order VMware requires ({@code .ovf}, {@code .mf}, disk).
 * An OVA is a package of files, not an image format: the disk comes from the convert pipeline (the
 * {@code vmdk} target), the rest is built here ({@link org.qimg.converters.ova.OvaWriter}).
 * The manifest's syntax and check live in {@code org.qimg.format.ova}, where readers of OVA members reach them.
 */
package org.qimg.converters.ova;
