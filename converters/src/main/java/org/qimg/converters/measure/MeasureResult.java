package org.qimg.converters.measure;

/**
 * What {@code qemu-img measure} reports.
 *
 * @param required       bytes the new image needs for the given data
 * @param fullyAllocated bytes a fully allocated image of that size needs
 * @param bitmaps        bytes for persistent bitmaps, or null when qemu-img would not print the key
 */
public record MeasureResult(long required, long fullyAllocated, Long bitmaps) {
}
