/**
 * {@code qemu-img rebase}: the safe mode's comparison of old and new backing content and the copy of the
 * differences into the overlay (through the format's in-place writer, {@link
 * org.qimg.format.ImageFormat#openForUpdate}), then the change of the backing reference ({@link
 * org.qimg.format.ImageFormat#setBackingFile}).
 */
package org.qimg.converters.rebase;
