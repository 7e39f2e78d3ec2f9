package org.qimg.format.qcow2.read;

import org.qimg.format.CorruptImageException;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;

/**
 * Where one compressed guest cluster's payload is stored, decoded from its L2 entry (for tools that
 * inspect compression, such as {@code qimg analyze}).
 *
 * @param guestOffset start of the guest cluster
 * @param hostOffset  byte offset of the payload in the image file (not aligned)
 * @param spanLength  bytes the L2 entry reserves for the payload: from {@code hostOffset} to the end of
 *                    its last 512-byte sector ({@code (sectors + 1) * 512 - (hostOffset & 511)}), cut at
 *                    the end of the file. The payload itself may be shorter; the rest is padding or the
 *                    start of the next payload.
 */
public record CompressedPayload(long guestOffset, long hostOffset, int spanLength) {

    static CompressedPayload fromEntry(Qcow2Header h, long guestOffset, long entry, long entryOffset)
            throws CorruptImageException {
        int cb = h.clusterBits();
        long host = Entries.compressedOffset(entry, cb);
        long fileLength = h.fileLength();
        if (host >= fileLength) {
            throw new CorruptImageException(h.file().toString(), entryOffset, "compressed cluster for guest offset "
                    + guestOffset + " points to host offset " + host + ", past the end of the file ("
                    + fileLength + " bytes)");
        }
        long span = Math.min(Entries.compressedSpan(entry, cb), fileLength - host);
        return new CompressedPayload(guestOffset, host, (int) span);
    }
}
