/**
 * {@code qimg measure}: the required and fully-allocated size of a conversion or a new image, as qemu-img
 * measure computes them.
 */
package org.qimg.converters.measure;
