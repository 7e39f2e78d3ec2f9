package org.qimg.format.vmdk.read;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import org.qimg.format.CorruptImageException;
import org.qimg.format.codec.ZlibStreamDecompressor;
import org.qimg.format.io.Positional;

/**
 * Expands the compressed grains of an image's streamOptimized extents: each reading thread has its own
 * buffers (two grains of input, as QEMU reads, and one of output) and inflater, and remembers the grain it
 * expanded last, so that reads of one grain in pieces inflate it once. A grain must inflate as zlib's
 * {@code uncompress()} inflates it (a whole, checked stream no larger than the grain) and hold every byte read
 * from it.
 */
final class CompressedGrains implements AutoCloseable {
    private final int maxGrain;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private final List<Scratch> scratches = new ArrayList<>();

    private final class Scratch {
        final ByteBuffer packed = ByteBuffer.allocate(2 * maxGrain);
        final ByteBuffer plain = ByteBuffer.allocate(maxGrain);
        final ZlibStreamDecompressor inflater = new ZlibStreamDecompressor();
        ExtentMap extent;
        long host = -1;
        int produced;

        Scratch() {
            synchronized (scratches) {
                scratches.add(this);
            }
        }
    }

    /** For grains of at most {@code maxGrain} bytes (0 when the image has no compressed extent). */
    CompressedGrains(int maxGrain) {
        this.maxGrain = maxGrain;
    }

    /**
     * Puts {@code dst.remaining()} bytes of the grain at {@code host} of {@code e}, from {@code inGrain}, into
     * dst; {@code guest} is the guest offset of the first byte (for messages).
     */
    void read(SparseExtent e, long host, int inGrain, ByteBuffer dst, long guest) throws IOException {
        Scratch s = scratch.get();
        if (s.extent != e || s.host != host) {
            long[] p = e.payload(host, guest);
            s.extent = null;
            s.packed.clear().limit((int) p[1]);
            Positional.readFully(e.channel, s.packed, p[0], e.file);
            s.packed.flip();
            s.plain.clear().limit(e.grainBytes());
            try {
                s.produced = s.inflater.decompress(s.packed, s.plain);
            } catch (DataFormatException x) {
                throw new CorruptImageException(e.file.toString(), host, "the compressed grain for guest offset "
                        + guest + " does not decompress: " + x.getMessage());
            }
            s.extent = e;
            s.host = host;
        }
        int n = dst.remaining();
        if (inGrain + n > s.produced) {
            throw new CorruptImageException(e.file.toString(), host, "the compressed grain for guest offset " + guest
                    + " expands to " + s.produced + " bytes, fewer than the " + (inGrain + n) + " needed");
        }
        dst.put(s.plain.duplicate().position(inGrain).limit(inGrain + n));
    }

    @Override
    public void close() {
        synchronized (scratches) {
            scratches.forEach(s -> s.inflater.close());
            scratches.clear();
        }
    }
}
