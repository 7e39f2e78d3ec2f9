/** Integration tests of {@code analyze} and of the plain-keeping convert policies, against qemu-img-made images. */
package org.qimg.tests.analyze;
