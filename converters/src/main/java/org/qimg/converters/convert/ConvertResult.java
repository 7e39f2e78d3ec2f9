package org.qimg.converters.convert;

/**
 * What a conversion did.
 *
 * @param guestBytes   size of the guest disk converted
 * @param bytesRead    guest bytes read from the sources (known-zero ranges are never read)
 * @param slots        number of chunk buffers the pipeline allocated (memory bound = slots x chunk)
 * @param chunkSize    bytes per chunk buffer
 * @param maxSlotsUsed most chunk buffers in use at once
 */
public record ConvertResult(long guestBytes, long bytesRead, int slots, int chunkSize, int maxSlotsUsed) {
}
