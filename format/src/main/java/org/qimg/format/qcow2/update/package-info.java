/**
 * Writing into an existing qcow2 image in place ({@code convert -n}):
 * {@link org.qimg.format.qcow2.update.Qcow2Updater} overwrites, allocates and frees clusters with exact
 * refcounts, in an order that leaves the image consistent (at worst leaked clusters) if it stops midway.
 */
package org.qimg.format.qcow2.update;
