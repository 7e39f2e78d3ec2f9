package org.qimg.format.codec;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/** Raw deflate (no zlib header), as QEMU writes it; any window size up to 32 KiB is accepted. */
final class ZlibClusterDecompressor implements ClusterDecompressor {
    private final Inflater inflater = new Inflater(true);

    @Override
    public void decompress(ByteBuffer src, ByteBuffer dst) throws DataFormatException {
        inflater.reset();
        inflater.setInput(src);
        while (dst.hasRemaining()) {
            int n = inflater.inflate(dst);
            if (n == 0) {
                if (inflater.finished() || inflater.needsInput() || inflater.needsDictionary()) {
                    throw new DataFormatException("deflate stream "
                            + (inflater.finished() ? "ended" : "ran out of input") + " after "
                            + dst.position() + " bytes, before the cluster was full");
                }
            }
        }
    }

    @Override
    public void close() {
        inflater.end();
    }
}
