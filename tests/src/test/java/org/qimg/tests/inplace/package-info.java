/** Integration tests of {@code convert -n}: writing into existing images, checked by qemu-img check and compare. */
package org.qimg.tests.inplace;
