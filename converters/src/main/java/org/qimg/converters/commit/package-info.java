/**
 * {@code qemu-img commit}: the overlay's data (and that of the images between it and the base) written into
 * the base image in place, then the overlay emptied ({@link org.qimg.format.ImageFormat#makeEmpty}).
 */
package org.qimg.converters.commit;
