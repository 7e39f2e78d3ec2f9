package org.qimg.format.container;

import org.qimg.format.CorruptImageException;

/**
 * A piece of a compressed file that failed to decode: the offset is in the compressed file. Told apart from
 * the inner format's own complaints (whose offsets are in the decompressed bytes), which are worded with the
 * wrapping.
 */
final class DecodeFailure extends CorruptImageException {
    private static final long serialVersionUID = 1L;

    DecodeFailure(String file, long offset, String detail) {
        super(file, offset, detail);
    }
}
