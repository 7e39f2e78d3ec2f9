/** Integration tests: QEMU's image locks between qimg and a running qemu-system, qemu-io and qemu-img, both ways. */
package org.qimg.tests.locks;
