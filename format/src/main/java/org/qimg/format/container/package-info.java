/**
 * Containers are not formats: compressed files (xz, gzip, bzip2, zstd, lz4) and tar archives (OVA) wrap the
 * bytes of an image whose format is probed on the unwrapped bytes. {@link org.qimg.format.container.Containers}
 * opens the image inside, choosing how to read it by what the inner format needs and what the container
 * gives: a sequential source (a stream, decoded in order: raw), a byte range of a plain tar read in place, the
 * container's index (an xz file with several blocks, a zstd file with several frames: any byte is one decoded
 * piece away, kept in a bounded cache), or else an unnamed temporary decompressed copy. Formats that need
 * random access (qcow2, vmdk) read the last three through a read-only channel
 * ({@link org.qimg.format.ImageFormat#open(java.nio.file.Path, java.nio.channels.FileChannel,
 * org.qimg.format.OpenOptions)}), named after the container file. {@link org.qimg.format.container.ContainerImage}
 * is the result, seen as the container file. Internal to qimg (exported to its converters only).
 */
package org.qimg.format.container;
