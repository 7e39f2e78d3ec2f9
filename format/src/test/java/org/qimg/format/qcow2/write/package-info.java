/** Tests of the qcow2 writer and its creation options: byte identity with qemu-img, features, borrowed buffers. */
package org.qimg.format.qcow2.write;
