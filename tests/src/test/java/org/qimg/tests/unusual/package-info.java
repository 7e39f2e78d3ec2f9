/** Integration tests on unusual but valid images (external data files, bitmaps, rounding ties), qemu-img against qimg. */
package org.qimg.tests.unusual;
