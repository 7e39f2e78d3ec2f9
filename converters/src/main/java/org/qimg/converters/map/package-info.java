/**
 * {@code qimg map}: where guest data lives, merged into extents and printed as qemu-img map does (human and
 * JSON), streamed entry by entry.
 */
package org.qimg.converters.map;
