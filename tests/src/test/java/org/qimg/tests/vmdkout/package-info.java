/**
 * VMDK output ({@code convert -O vmdk}, {@code create -f vmdk}) checked by every independent reader here:
 * qemu-img ({@code compare}, {@code info}, {@code check}, byte comparison with its own output) and libvmdk
 * ({@code vmdkinfo}, and its Python binding {@code pyvmdk} reading the data back).
 */
package org.qimg.tests.vmdkout;
