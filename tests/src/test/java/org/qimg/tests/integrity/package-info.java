/** Integration tests of {@code check}, {@code compare} and {@code checksum}, and of damaged and hostile images, with qemu-img as the oracle. */
package org.qimg.tests.integrity;
