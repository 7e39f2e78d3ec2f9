package org.qimg.format.codec;

import java.util.function.Consumer;

/**
 * Creates cluster compressors. zlib goes through the system libz when it can be loaded (byte-identical to
 * QEMU); otherwise a pure-Java 4 KiB-window deflate is used, and the caller's fallback notice is told
 * (format code never prints).
 */
public final class Compressors {
    private static volatile boolean forceJavaZlib = Boolean.getBoolean("qimg.zlib.java");

    private Compressors() {
    }

    /** QEMU's default level for the type: zlib 6 (Z_DEFAULT_COMPRESSION), zstd 3. */
    public static int defaultLevel(CompressionType type) {
        return type == CompressionType.ZSTD ? 3 : 6;
    }

    /** A compressor for one thread; {@code level} as given to the codec. Falls back to Java zlib silently. */
    public static ClusterCompressor create(CompressionType type, int level, int clusterSize) {
        return create(type, level, clusterSize, m -> { });
    }

    /**
     * A compressor for one thread; {@code level} as given to the codec. When zlib falls back to the pure-Java
     * deflate, {@code fallbackNotice} is told why (each time such a compressor is made).
     */
    public static ClusterCompressor create(CompressionType type, int level, int clusterSize,
                                           Consumer<String> fallbackNotice) {
        return switch (type) {
            case ZSTD -> new ZstdCompressor(level, clusterSize);
            case ZLIB -> {
                if (nativeZlibAvailable()) {
                    yield new ZlibCompressor(level, clusterSize);
                }
                fallbackNotice.accept("libz could not be loaded (" + ZlibNative.LOAD_ERROR + "); using the"
                        + " pure-Java deflate: output is valid but not byte-identical to qemu-img's");
                yield new JavaDeflateCompressor(level, clusterSize);
            }
        };
    }

    /** True when zlib clusters are compressed by the system libz (as QEMU does). */
    public static boolean nativeZlibAvailable() {
        return !forceJavaZlib && ZlibNative.INSTANCE != null;
    }

    /** Test hook: use the pure-Java zlib even when libz is there. */
    static void forceJavaZlib(boolean force) {
        forceJavaZlib = force;
    }
}
