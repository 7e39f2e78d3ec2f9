/** Integration tests of {@code create} and {@code measure}: byte identity and output identity with qemu-img. */
package org.qimg.tests.create;
