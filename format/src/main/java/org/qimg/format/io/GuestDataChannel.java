package org.qimg.format.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Implemented by a {@link java.nio.channels.FileChannel} that a writer of a new image (qcow2's) is to tell which
 * of its writes carry guest data (data clusters, compressed payloads) rather than the image's own metadata
 * (header, tables, refcounts), which it writes with {@code write(src, position)}. Converters' two-pass stream
 * output uses this: a first pass keeps the metadata and drops the data, a second pass recomputes the data and
 * emits the file in offset order. Writers that do not know this interface write everything as metadata.
 */
public interface GuestDataChannel {
    /**
     * Writes guest data: the contract of {@link java.nio.channels.FileChannel#write(ByteBuffer, long)} (writes
     * some bytes of {@code src} at {@code position}, advances {@code src}, returns the count).
     *
     * @param guestOffset       the guest offset of the data's first byte
     * @param compressedCluster 0 when {@code src} holds guest bytes as they are (from {@code guestOffset} on,
     *                          the image's last cluster zero-padded past the guest end); else the cluster size,
     *                          and {@code src} holds the compressed payload of the one cluster at
     *                          {@code guestOffset}
     */
    int writeGuestData(ByteBuffer src, long position, long guestOffset, int compressedCluster) throws IOException;
}
