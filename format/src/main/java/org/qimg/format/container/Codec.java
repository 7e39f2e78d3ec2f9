package org.qimg.format.container;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.qimg.format.probe.Signature;
import org.tukaani.xz.XZInputStream;

/**
 * The compressed streams qimg unwraps. Which one a file is comes from its magic bytes, recognised in one
 * place ({@link org.qimg.format.probe.Signatures}, matched here by name); this enum only knows how to decode.
 * Every decoder reads concatenated streams (several xz streams, gzip members, bzip2 streams, zstd and lz4
 * frames, as the command-line tools do) and bounds its own memory.
 */
public enum Codec {
    XZ("xz"), GZIP("gzip"), BZIP2("bzip2"), ZSTD("zstd"), LZ4("lz4");

    /**
     * Largest xz dictionary qimg accepts, in KiB: 256 MiB. {@code xz -9} uses 64 MiB; a header asking for
     * more is refused before the decoder allocates it.
     */
    static final int XZ_MEMORY_LIMIT_KIB = 256 * 1024;

    private final String label;

    Codec(String label) {
        this.label = label;
    }

    /** The name the tools and qimg's messages use: xz, gzip, bzip2, zstd, lz4. */
    public String label() {
        return label;
    }

    /** The codec of a compressed-stream signature the probe found, if qimg decodes it. */
    static Optional<Codec> of(Signature s) {
        if (s.kind() != Signature.Kind.COMPRESSED) {
            return Optional.empty();
        }
        for (Codec c : values()) {
            if (c.label.equals(s.name())) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** A stream of the decompressed bytes of {@code compressed} (which the returned stream closes). */
    InputStream decoder(InputStream compressed) throws IOException {
        return switch (this) {
            case XZ -> new XZInputStream(compressed, XZ_MEMORY_LIMIT_KIB);
            case GZIP -> new GzipCompressorInputStream(compressed, true);
            case BZIP2 -> new BZip2CompressorInputStream(compressed, true);
            case ZSTD -> new ZstdInputStreamNoFinalizer(compressed).setContinuous(false);
            case LZ4 -> new FramedLZ4CompressorInputStream(compressed, true);
        };
    }
}
