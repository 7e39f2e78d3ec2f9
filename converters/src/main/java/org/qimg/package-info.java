/**
 * The library entry point: {@link org.qimg.Qimg} (open, convert, compare, checksum, check),
 * {@link org.qimg.ConvertSpec} and {@link org.qimg.CheckReport}. With {@code org.qimg.format} (the {@code DiskImage} it returns and the
 * exceptions) and {@code org.qimg.converters} ({@code ProgressListener}), this is qimg's public API; the other
 * packages are internal and may change.
 */
package org.qimg;
