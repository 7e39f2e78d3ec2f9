/**
 * {@code qimg info}: qemu-img info's report for an image and, on request, its backing chain, with QEMU's
 * JSON keys and key order and its human size wording.
 */
package org.qimg.converters.info;
