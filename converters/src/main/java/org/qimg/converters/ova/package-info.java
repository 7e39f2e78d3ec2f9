/**
 * OVA packages ({@code qimg convert -O ova}): an OVF descriptor, a manifest of digests and the disk as a
 * streamOptimized VMDK, in one tar archive in the order VMware requires ({@code .ovf}, {@code .mf}, disk).
 * An OVA is a package of files, not an image format: the disk comes from the convert pipeline (the
 * {@code vmdk} target), the rest is built here ({@link org.qimg.converters.ova.OvaWriter}).
 * {@link org.qimg.converters.ova.OvaManifest} reads and checks a manifest for readers of OVAs.
 */
package org.qimg.converters.ova;
