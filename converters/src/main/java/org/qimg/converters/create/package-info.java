/**
 * {@code qimg create}: new empty raw and qcow2 images, byte-identical to qemu-img create's.
 */
package org.qimg.converters.create;
