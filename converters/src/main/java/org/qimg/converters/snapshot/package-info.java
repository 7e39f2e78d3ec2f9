/**
 * {@code qemu-img snapshot}: lists a probed image's internal snapshots as qemu-img prints them, and creates,
 * applies and deletes them through the format ({@link org.qimg.format.ImageFormat#createSnapshot} etc.).
 */
package org.qimg.converters.snapshot;
