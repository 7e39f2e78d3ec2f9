package org.qimg.format.raw;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.NewImage;
import org.qimg.format.QemuOptionSyntax;
import org.qimg.format.ResizeRequest.Preallocation;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.codec.ClusterCompressor;

/**
 * A raw target: guest bytes stored as they are, written by the caller; no backing, no -c. Its options are the
 * file protocol's that qemu-img convert takes for a new raw file: {@code preallocation} (off, falloc, full:
 * {@link #given}{@code ("preallocation")}, applied with {@link HostTruncate}), {@code nocow} and
 * {@code extent_size_hint} (accepted; they tune btrfs/XFS and change no byte), and {@code size} (replaced by the
 * sources' size, as qemu-img does).
 */
final class RawTarget implements TargetImage, NewImage {
    static final RawTarget INSTANCE = new RawTarget(Map.of(), false);
    private static final RawTarget BACKED = new RawTarget(Map.of(), true);

    private final Map<String, String> given;
    private final boolean backed;

    private RawTarget(Map<String, String> given, boolean backed) {
        this.given = Map.copyOf(given);
        this.backed = backed;
    }

    /** Refuses what a raw target cannot have, in qemu-img's order: -c, -B, unknown -o keys. */
    static RawTarget check(TargetRequest r) throws ImageException {
        if (r.compressed()) {
            throw new ImageException("Compression not supported for this file format");
        }
        if (r.backingFile() != null) {
            throw new ImageException("Backing file not supported for file format 'raw'");
        }
        if (r.options().isEmpty()) {
            return INSTANCE;
        }
        Map<String, String> given = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : QemuOptionSyntax.splitOptions(r.optionText()).entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "size" -> QemuOptionSyntax.sizeValue("size", v);
                case "nocow" -> QemuOptionSyntax.parseBool("nocow", v);
                case "extent_size_hint" -> QemuOptionSyntax.sizeValue("extent_size_hint", v);
                case "preallocation" -> { }
                default -> throw new ImageException("Invalid parameter '" + e.getKey() + "'");
            }
            given.put(e.getKey(), v);
        }
        return new RawTarget(given, false);
    }

    /**
     * An existing raw file written in place ({@code -n}): no -c, no -o; with {@code -B} only what the sources'
     * top layers allocate is written, as qemu-img does (it then takes the target as backed).
     */
    static RawTarget inPlace(TargetRequest r) throws ImageException {
        if (r.compressed()) {
            throw new ImageException("Compression not supported for this file format");
        }
        if (!r.options().isEmpty()) {
            throw new ImageException("-o has no effect when skipping image creation");
        }
        return r.backingFile() != null ? BACKED : INSTANCE;
    }

    /** The preallocation of the new file: null, or qemu-img's refusal when {@code value} is not a mode. */
    private static ImageException refusal(String value) {
        Preallocation p = Preallocation.parse(value);
        if (p == null) {
            return new ImageException("invalid parameter value: " + value);
        }
        return p == Preallocation.METADATA ? new ImageException("Unsupported preallocation mode: metadata") : null;
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
        return backed;
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
        return given.get(key);
    }

    @Override
    public boolean isSet(String key) {
        return given.containsKey(key);
    }

    /** Refuses (as qemu-img does when it creates the file) a preallocation mode the file driver lacks. */
    @Override
    public TargetImage build() throws ImageException {
        String p = given.get("preallocation");
        if (p != null && refusal(p) != null) {
            throw refusal(p);
        }
        String hint = given.get("extent_size_hint");
        if (hint != null && QemuOptionSyntax.sizeValue("extent_size_hint", hint) > 0xffffffffL) {
            throw new ImageException("Extent size hint is too large");
        }
        return this;
    }
}
