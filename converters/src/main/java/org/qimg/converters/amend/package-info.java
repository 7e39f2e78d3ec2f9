/**
 * {@code qemu-img amend}: qemu-img's rules that hold for every format (the format named or probed, its
 * {@code -o help}, "does not support option amendment"); the format's own work is behind
 * {@link org.qimg.format.ImageFormat#amender}.
 */
package org.qimg.converters.amend;
