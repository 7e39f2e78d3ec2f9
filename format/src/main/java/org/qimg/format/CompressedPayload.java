package org.qimg.format;

import java.nio.file.Path;

/**
 * Where the payload of one compressed guest cluster is stored (for tools that inspect compression, such as
 * {@code qimg analyze}): {@code spanLength} bytes of {@code file} from {@code hostOffset} hold the cluster's
 * compressed bytes, in the codec {@link ImageLayout#compression()} names, possibly followed by padding.
 *
 * @param guestOffset start of the guest cluster
 * @param file        the file the payload is in
 * @param hostOffset  byte offset of the payload in {@code file} (not aligned)
 * @param spanLength  bytes the format reserves for the payload, cut at the end of the file; for qcow2 from
 *                    {@code hostOffset} to the end of its last 512-byte sector ({@code (sectors + 1) * 512 -
 *                    (hostOffset & 511)}). The payload itself may be shorter; the rest is padding or the
 *                    start of the next payload.
 */
public record CompressedPayload(long guestOffset, Path file, long hostOffset, int spanLength) {

    public CompressedPayload {
        if (guestOffset < 0 || hostOffset < 0 || spanLength <= 0) {
            throw new IllegalArgumentException("compressed payload at guest offset " + guestOffset + ", host offset "
                    + hostOffset + ", " + spanLength + " bytes");
        }
    }
}
