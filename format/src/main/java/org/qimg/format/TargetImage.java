package org.qimg.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qimg.format.codec.ClusterCompressor;

/**
 * A target image whose options are decided, before anything is written: made by
 * {@link ImageFormat#create(TargetRequest)} (after {@link NewImage#build()}) for a new image, or by
 * {@link ImageFormat#openForUpdate} for an existing one written in place. The codec of compressed clusters
 * comes from here only, so a compressor never disagrees with the image's {@code compression_type}.
 */
public interface TargetImage {
    /** The format's name as qemu-img's {@code -O} spells it. */
    String formatName();

    /**
     * The cluster size of a cluster-granular target (qcow2). 0 for a format that stores guest bytes as they
     * are (raw): the caller then writes the bytes itself and never calls {@link #start}.
     */
    int clusterSize();

    /** True when the new image has a backing file (zero ranges must then hide it). */
    boolean hasBacking();

    /** True when clusters are to be compressed ({@code -c}). */
    boolean compressed();

    /**
     * A compressor for one thread, with the codec and level of this target's options. {@code fallbackNotice}
     * is told when the codec falls back to a slower implementation whose output differs from QEMU's (it may
     * be told once per compressor; callers that want one notice deduplicate).
     *
     * @throws IllegalStateException when the target does not compress
     */
    ClusterCompressor newCompressor(Consumer<String> fallbackNotice);

    /**
     * Starts writing: for a new image, {@code channel} is empty and writable and the image gets
     * {@code virtualSize} bytes; for an in-place target, {@code channel} holds the existing image (read-write)
     * and {@code virtualSize} is the size of the data that will be written into it.
     *
     * @throws UnsupportedOperationException when {@link #clusterSize()} is 0
     */
    ClusterSink start(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException;
}
