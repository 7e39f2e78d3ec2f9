/**
 * The image-format layer's public face: {@link org.qimg.format.ImageFormat} (probe, open),
 * {@link org.qimg.format.DiskImage} (thread-safe guest reads and an extent walk),
 * {@link org.qimg.format.ImageFormats} (the registry and probing) and the exception tree under
 * {@link org.qimg.format.ImageException}. Nothing in {@code format} knows about terminals.
 */
package org.qimg.format;
