package org.qimg.format.raw;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.NewImage;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.codec.ClusterCompressor;

/** A raw target: guest bytes stored as they are, written by the caller; no options, no backing, no -c. */
final class RawTarget implements TargetImage, NewImage {
    static final RawTarget INSTANCE = new RawTarget();

    private RawTarget() {
    }

    /** Refuses what a raw target cannot have, in qemu-img's order: -c, -B, -o. */
    static RawTarget check(TargetRequest r) throws ImageException {
        if (r.compressed()) {
            throw new ImageException("Compression not supported for this file format");
        }
        if (r.backingFile() != null) {
            throw new ImageException("Backing file not supported for file format 'raw'");
        }
        if (!r.options().isEmpty()) {
            throw new ImageException("Invalid options for file format 'raw': " + r.optionText());
        }
        return INSTANCE;
    }

    @Override
    public String formatName() {
        return "raw";
    }

    @Override
    public int clusterSize() {
        return 0;
    }

    @Override
    public boolean hasBacking() {
        return false;
    }

    @Override
    public boolean compressed() {
        return false;
    }

    @Override
    public ClusterCompressor newCompressor(Consumer<String> fallbackNotice) {
        throw new IllegalStateException("raw targets are not compressed");
    }

    @Override
    public ClusterSink start(FileChannel channel, Path pathForErrors, long virtualSize) {
        throw new UnsupportedOperationException("raw targets are written byte by byte by the caller");
    }

    @Override
    public String backingFile() {
        return null;
    }

    @Override
    public String backingFormat() {
        return null;
    }

    @Override
    public String given(String key) {
        return null;
    }

    @Override
    public boolean isSet(String key) {
        return false;
    }

    @Override
    public TargetImage build() {
        return this;
    }
}
