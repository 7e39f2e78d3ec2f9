/**
 * {@code qemu-img bitmap}: its actions applied in order to one bitmap of an image, with qemu-img's messages;
 * {@code convert --bitmaps}: the persistent bitmaps of a source copied into a new qcow2 image. The format's
 * own work is behind {@link org.qimg.format.ImageFormat#openBitmaps}.
 */
package org.qimg.converters.bitmap;
