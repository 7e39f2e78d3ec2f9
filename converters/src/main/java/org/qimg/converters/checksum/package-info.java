/**
 * {@code qimg checksum}: the SHA-256 of an image's guest content, the same for a raw file and any image
 * holding it; zero ranges are hashed without being read.
 */
package org.qimg.converters.checksum;
