package org.qimg.format.codec;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libz entry points the zlib cluster compressor needs, bound through JNA. {@link #INSTANCE} is null
 * when the system libz cannot be loaded (or the platform's z_stream layout is not the LP64 one this class
 * knows); {@link #LOAD_ERROR} then says why.
 */
final class ZlibNative {
    /** sizeof(z_stream) on LP64 platforms, and the offsets of the fields used. */
    static final int Z_STREAM_SIZE = 112;
    static final int OFF_NEXT_IN = 0;
    static final int OFF_AVAIL_IN = 8;
    static final int OFF_NEXT_OUT = 24;
    static final int OFF_AVAIL_OUT = 32;

    static final int Z_OK = 0;
    static final int Z_STREAM_END = 1;
    static final int Z_FINISH = 4;
    static final int Z_DEFLATED = 8;
    static final int Z_DEFAULT_STRATEGY = 0;

    interface Lib extends Library {
        String zlibVersion();

        int deflateInit2_(Pointer strm, int level, int method, int windowBits, int memLevel, int strategy,
                String version, int streamSize);

        int deflate(Pointer strm, int flush);

        int deflateReset(Pointer strm);

        int deflateEnd(Pointer strm);
    }

    static final Lib INSTANCE;
    static final String LOAD_ERROR;

    static {
        Lib lib = null;
        String error = null;
        try {
            if (Native.POINTER_SIZE != 8 || Native.LONG_SIZE != 8) {
                error = "z_stream layout of this platform is not LP64";
            } else {
                lib = Native.load("z", Lib.class);
                lib.zlibVersion();
            }
        } catch (Throwable t) {
            lib = null;
            error = t.toString();
        }
        INSTANCE = lib;
        LOAD_ERROR = error;
    }

    private ZlibNative() {
    }

    static Memory newStream() {
        Memory m = new Memory(Z_STREAM_SIZE);
        m.clear();
        return m;
    }
}
