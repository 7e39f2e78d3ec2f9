/**
 * The library entry point: {@link org.qimg.Qimg} (open, convert, compare, checksum) and
 * {@link org.qimg.ConvertSpec}. With {@code org.qimg.format} (the {@code DiskImage} it returns and the
 * exceptions) and {@code org.qimg.converters} ({@code ProgressListener}), this is qimg's public API; the other
 * packages are internal and may change.
 */
package org.qimg;
