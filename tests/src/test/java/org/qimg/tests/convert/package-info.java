/** Integration tests of {@code convert} (options, kills, verification, round trips), {@code map}, {@code info} and {@code measure} against the real qemu-img. */
package org.qimg.tests.convert;
