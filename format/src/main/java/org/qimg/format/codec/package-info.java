/**
 * Cluster codecs: zlib (raw deflate with QEMU's 4 KiB window, through the system libz or a pure-Java
 * fallback) and zstd, each as a compressor that reports when a cluster is stored uncompressed and a
 * decompressor that stops once the cluster is full.
 */
package org.qimg.format.codec;
