/**
 * The status of a guest range through a whole backing chain (data, zero, unallocated, which layer), combined
 * from each layer's extents the way QEMU's block status does; shared by map and compare.
 */
package org.qimg.converters.chain;
