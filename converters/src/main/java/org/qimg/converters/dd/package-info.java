/**
 * {@code qemu-img dd}: a byte range of an image copied into a new image, through the convert pipeline with
 * sparse detection off (qemu-img dd writes every block).
 */
package org.qimg.converters.dd;
