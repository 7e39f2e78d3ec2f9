package org.qimg.format.container;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the bytes read through it: where in the compressed file a decoder has got to. */
final class CountingInput extends FilterInputStream {
    private long position;

    CountingInput(InputStream in, long start) {
        super(in);
        this.position = start;
    }

    /** Offset in the file of the next byte this stream will read. */
    long position() {
        return position;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            position++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long s = super.skip(n);
        position += s;
        return s;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
