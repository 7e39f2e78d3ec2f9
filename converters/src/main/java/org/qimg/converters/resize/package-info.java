/**
 * {@code qemu-img resize}: the size arithmetic and qemu-img's rules that hold for every format (positive
 * size, {@code --shrink} to shrink, preallocation only to grow); the format's own work is behind
 * {@link org.qimg.format.ImageFormat#resize}.
 */
package org.qimg.converters.resize;
