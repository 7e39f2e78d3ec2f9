package org.qimg.format.codec;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Creates cluster compressors. zlib goes through the system libz when it can be loaded (byte-identical to
 * QEMU); otherwise a pure-Java 4 KiB-window deflate is used, and the notice hook set with
 * {@link #setFallbackNotice} is told once (format code never prints).
 */
public final class Compressors {
    private static final AtomicBoolean NOTICE_SENT = new AtomicBoolean();
    private static volatile Consumer<String> fallbackNotice = m -> { };
    private static volatile boolean forceJavaZlib = Boolean.getBoolean("qimg.zlib.java");

    private Compressors() {
    }

    /** QEMU's default level for the type: zlib 6 (Z_DEFAULT_COMPRESSION), zstd 3. */
    public static int defaultLevel(CompressionType type) {
        return type == CompressionType.ZSTD ? 3 : 6;
    }

    /** A compressor for one thread; {@code level} as given to the codec. */
    public static ClusterCompressor create(CompressionType type, int level, int clusterSize) {
        return switch (type) {
            case ZSTD -> new ZstdCompressor(level, clusterSize);
            case ZLIB -> {
                if (nativeZlibAvailable()) {
                    yield new ZlibCompressor(level, clusterSize);
                }
                if (NOTICE_SENT.compareAndSet(false, true)) {
                    fallbackNotice.accept("libz could not be loaded (" + ZlibNative.LOAD_ERROR + "); using the"
                            + " pure-Java deflate: output is valid but not byte-identical to qemu-img's");
                }
                yield new JavaDeflateCompressor(level, clusterSize);
            }
        };
    }

    /** True when zlib clusters are compressed by the system libz (as QEMU does). */
    public static boolean nativeZlibAvailable() {
        return !forceJavaZlib && ZlibNative.INSTANCE != null;
    }

    /** Where the one-time "pure-Java zlib fallback in use" notice goes (e.g. the CLI prints it to stderr). */
    public static void setFallbackNotice(Consumer<String> notice) {
        fallbackNotice = notice == null ? m -> { } : notice;
    }

    /** Test hook: use the pure-Java zlib even when libz is there. */
    static void forceJavaZlib(boolean force) {
        forceJavaZlib = force;
    }
}
