/** Test helpers for the format module: running qemu-img, reading its JSON, and image assertions. */
package org.qimg.format.testutil;
