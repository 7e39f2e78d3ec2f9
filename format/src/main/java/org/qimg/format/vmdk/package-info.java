/**
 * VMDK (VMware's virtual disk, "Virtual Disk Format 5.0"): {@link org.qimg.format.vmdk.VmdkFormat} wires the
 * format to the SPI; {@code layout} holds the on-disk facts, {@code read} reads every VMDK qemu-img 7.2 reads.
 * Writing lives in its own sibling package.
 */
package org.qimg.format.vmdk;
