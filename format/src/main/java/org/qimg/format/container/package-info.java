/**
 * Containers are not formats: compressed files (xz, gzip, bzip2, zstd, lz4) and tar archives (OVA) wrap the
 * bytes of an image whose format is probed on the unwrapped bytes. {@link org.qimg.format.container.Containers}
 * opens the image inside, choosing how to read it by what the inner format needs and what the container
 * gives: a sequential source (a stream, decoded in order: raw) or random access (a byte range of a plain tar,
 * or a temporary decompressed copy: qcow2). {@link org.qimg.format.container.ContainerImage} is the result,
 * seen as the container file. Internal to qimg (exported to its converters only).
 */
package org.qimg.format.container;
