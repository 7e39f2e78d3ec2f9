package org.qimg;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.qimg.converters.ProgressListener;

/**
 * What {@link Qimg#convert} makes: the target format, its options (as qemu-img's {@code -o}), whether
 * clusters are compressed, and where progress and notices go. The codec of compressed clusters is the
 * target's {@code compression_type} option (zlib by default), named once: there is no separate compressor
 * to disagree with it.
 *
 * <pre>{@code
 * ConvertSpec.to("qcow2").option("compression_type", "zstd").compressed().progress((done, total) -> ...)
 * }</pre>
 *
 * <p>A spec is a small mutable builder; {@link Qimg#convert} reads it when it starts.
 */
public final class ConvertSpec {
    private final String format;
    private final List<String> options = new ArrayList<>();
    private String backingFile;
    private String backingFormat;
    private boolean compressed;
    private String sourceFormat;
    private int threads = Runtime.getRuntime().availableProcessors();
    private boolean durable = true;
    private ProgressListener progress = ProgressListener.NONE;
    private Consumer<String> notices = m -> { };

    private ConvertSpec(String format) {
        this.format = Objects.requireNonNull(format);
    }

    /** A conversion to a new image of {@code format} ({@code "qcow2"} or {@code "raw"}). */
    public static ConvertSpec to(String format) {
        return new ConvertSpec(format);
    }

    /** A target option, as {@code -o key=value} (e.g. {@code cluster_size}, {@code compression_type}). */
    public ConvertSpec option(String key, String value) {
        options.add(key + "=" + value);
        return this;
    }

    /** The target's backing file and its format (qcow2; {@code -B}, {@code -F}). */
    public ConvertSpec backing(String file, String format) {
        this.backingFile = file;
        this.backingFormat = format;
        return this;
    }

    /** Compress the target's clusters ({@code -c}), with the codec of its {@code compression_type}. */
    public ConvertSpec compressed() {
        this.compressed = true;
        return this;
    }

    /** The sources' format; by default each source's format is probed. */
    public ConvertSpec sourceFormat(String format) {
        this.sourceFormat = format;
        return this;
    }

    /** Worker threads (default: the number of cores). */
    public ConvertSpec threads(int n) {
        this.threads = n;
        return this;
    }

    /** Whether the output is fsynced before it replaces the destination (default true). */
    public ConvertSpec durable(boolean fsync) {
        this.durable = fsync;
        return this;
    }

    /** Told as guest bytes are done; a lambda {@code (done, total) -> ...} will do. */
    public ConvertSpec progress(ProgressListener listener) {
        this.progress = Objects.requireNonNull(listener);
        return this;
    }

    /** Told of things that are not errors (e.g. zlib falling back to a pure-Java deflate). */
    public ConvertSpec notices(Consumer<String> sink) {
        this.notices = Objects.requireNonNull(sink);
        return this;
    }

    String format() {
        return format;
    }

    List<String> options() {
        return List.copyOf(options);
    }

    String backingFile() {
        return backingFile;
    }

    String backingFormat() {
        return backingFormat;
    }

    boolean isCompressed() {
        return compressed;
    }

    String sourceFormat() {
        return sourceFormat;
    }

    int threads() {
        return threads;
    }

    boolean isDurable() {
        return durable;
    }

    ProgressListener progressListener() {
        return progress;
    }

    Consumer<String> noticeSink() {
        return notices;
    }
}
