package org.qimg.format.qcow2.read;

import org.qimg.format.CompressedPayload;
import org.qimg.format.CorruptImageException;
import org.qimg.format.qcow2.layout.Entries;
import org.qimg.format.qcow2.layout.Qcow2Header;

/** Decodes where a compressed cluster's payload is from its L2 entry. */
final class PayloadLocator {
    private PayloadLocator() {
    }

    /**
     * The payload of the compressed guest cluster at {@code guestOffset}, whose L2 entry {@code entry} is at
     * {@code entryOffset} of the image file; a payload that starts past the end of the file is corrupt.
     */
    static CompressedPayload locate(Qcow2Header h, long guestOffset, long entry, long entryOffset)
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
        return new CompressedPayload(guestOffset, h.file(), host, (int) span);
    }
}
