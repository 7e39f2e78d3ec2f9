/**
 * Integration tests (issue 13): images inside compressed files and tar archives made by the real tools (xz,
 * gzip, bzip2, zstd, lz4, tar) are read as the decompressed file would be, judged against qemu-img converting
 * the decompressed file; damaged containers end in one-line errors; {@code -} as the destination streams the
 * image to stdout.
 */
package org.qimg.tests.containers;
