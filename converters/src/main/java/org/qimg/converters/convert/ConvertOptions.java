package org.qimg.converters.convert;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.qimg.converters.ProgressListener;
import org.qimg.format.NewImage;
import org.qimg.format.ResizeRequest;
import org.qimg.format.TargetImage;
import org.qimg.format.codec.ClusterCompressor;

/**
 * How to convert. Immutable; build with {@link #builder()}. Defaults follow qemu-img: raw target, sparse
 * size 4 KiB, target created fresh; threads default to the number of cores. The target and its codec come
 * from one {@link TargetImage} ({@link Builder#target}, usually chosen by {@link ConvertTarget}), so
 * compressed clusters always use the codec the target's header names.
 */
public final class ConvertOptions {
    public static final int DEFAULT_SPARSE_SIZE = 4096;
    public static final int DEFAULT_CHUNK_SIZE = 1 << 20;

    final ClusterTargetFactory clusterTarget;
    final Supplier<ClusterCompressor> compressors;
    final CompressionPolicy policy;
    final int threads;
    final int sparseSize;
    final boolean targetIsZero;
    final boolean noCreate;
    final boolean targetHasBacking;
    final int chunkSize;
    final ProgressListener progress;
    final boolean durable;
    final String verifyFormat;
    final String formatName;
    final OutputContainer container;
    final Written written;

    /** Work on the complete new target before it replaces DST (e.g. {@code --bitmaps}); see {@link Builder#written}. */
    @FunctionalInterface
    public interface Written {
        void accept(java.nio.file.Path image) throws java.io.IOException;
    }
    /** qemu-img's -C: data runs are copied as they are, without looking for zeros in them. */
    final boolean copyOffload;
    /** qemu-img's --salvage: read errors become zeros (one warning per failed 512-byte sector). */
    final boolean salvage;
    /** Where warnings that are not errors go (the builder's notices). */
    final Consumer<String> notices;
    /** How a new raw target's file is sized (qemu-img's file driver {@code preallocation}). */
    final ResizeRequest.Preallocation rawPreallocation;

    private ConvertOptions(Builder b) {
        this.clusterTarget = b.clusterTarget;
        this.compressors = b.compressors;
        this.policy = b.policy;
        // --salvage reads with one worker, so that its warnings come in offset order, as qemu-img's
        this.threads = b.salvage ? 1 : b.threads;
        this.sparseSize = b.sparseSize;
        this.targetIsZero = b.targetIsZero;
        this.noCreate = b.noCreate;
        this.targetHasBacking = b.targetHasBacking;
        this.chunkSize = b.chunkSize;
        this.progress = b.progress;
        this.durable = b.durable;
        this.verifyFormat = b.verifyFormat;
        this.formatName = b.clusterTarget == null ? "raw" : b.formatName;
        this.container = b.container;
        this.written = b.written;
        this.copyOffload = b.copyOffload;
        this.salvage = b.salvage;
        this.notices = b.notices;
        this.rawPreallocation = b.rawPreallocation;
    }

    /**
     * These options with {@code listener} for progress (the two passes of a stream output each report half).
     * Every field is copied: a field added to this class without a line here does not compile (they are final).
     */
    ConvertOptions withProgress(ProgressListener listener) {
        return new ConvertOptions(this, listener);
    }

    private ConvertOptions(ConvertOptions o, ProgressListener listener) {
        this.clusterTarget = o.clusterTarget;
        this.compressors = o.compressors;
        this.policy = o.policy;
        this.threads = o.threads;
        this.sparseSize = o.sparseSize;
        this.targetIsZero = o.targetIsZero;
        this.noCreate = o.noCreate;
        this.targetHasBacking = o.targetHasBacking;
        this.chunkSize = o.chunkSize;
        this.progress = Objects.requireNonNull(listener);
        this.durable = o.durable;
        this.verifyFormat = o.verifyFormat;
        this.formatName = o.formatName;
        this.container = o.container;
        this.written = o.written;
        this.copyOffload = o.copyOffload;
        this.salvage = o.salvage;
        this.notices = o.notices;
        this.rawPreallocation = o.rawPreallocation;
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean compressed() {
        return compressors != null;
    }

    public int threads() {
        return threads;
    }

    /** Whether the output is fsynced before it replaces the destination ({@link Builder#durable}). */
    public boolean durable() {
        return durable;
    }

    public static final class Builder {
        private ClusterTargetFactory clusterTarget;
        private Supplier<ClusterCompressor> compressors;
        private CompressionPolicy policy = CompressionPolicy.QEMU;
        private int threads = Runtime.getRuntime().availableProcessors();
        /** qemu-img's largest -S: MAX_BUF_SECTORS (32768) sectors. */
        public static final int MAX_SPARSE_SIZE = 32768 * 512;
        private int sparseSize = DEFAULT_SPARSE_SIZE;
        private boolean targetIsZero;
        private boolean noCreate;
        private boolean targetHasBacking;
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private ProgressListener progress = ProgressListener.NONE;
        private boolean durable = true;
        private String verifyFormat;
        private String formatName = "qcow2";
        private Consumer<String> notices = m -> { };
        private OutputContainer container;
        private Written written;
        private boolean copyOffload;
        private boolean salvage;
        private ResizeRequest.Preallocation rawPreallocation = ResizeRequest.Preallocation.OFF;

        /** Compress a raw target into this container ({@code -o container=...}); null: none. */
        public Builder container(OutputContainer c) {
            this.container = c;
            return this;
        }

        /**
         * Write {@code target}: its cluster sink (none for raw), its compressors when it compresses, and whether
         * it has a backing file. Without this the target is raw.
         */
        public Builder target(TargetImage target) {
            formatName = target.formatName();
            clusterTarget = target.clusterSize() > 0 ? target::start : null;
            targetHasBacking = target.hasBacking();
            String prealloc = clusterTarget == null && target instanceof NewImage n ? n.given("preallocation") : null;
            rawPreallocation = prealloc == null ? ResizeRequest.Preallocation.OFF
                    : ResizeRequest.Preallocation.parse(prealloc);
            if (target.compressed()) {
                // one fallback notice per conversion, whatever the number of threads
                AtomicBoolean told = new AtomicBoolean();
                compressors = () -> target.newCompressor(m -> {
                    if (told.compareAndSet(false, true)) {
                        notices.accept(m);
                    }
                });
            } else {
                compressors = null;
            }
            return this;
        }

        /**
         * Where notices go that are not errors, e.g. that zlib fell back to the pure-Java deflate (output valid
         * but not byte-identical to qemu-img's). Converters never print; default: dropped.
         */
        public Builder notices(Consumer<String> sink) {
            this.notices = Objects.requireNonNull(sink);
            return this;
        }

        /** Tests: write a cluster-granular image made by {@code factory}. */
        Builder clusterTarget(ClusterTargetFactory factory) {
            this.clusterTarget = factory;
            return this;
        }

        /** Tests: compress clusters (cluster targets only) with compressors from {@code factory}. */
        Builder compress(Supplier<ClusterCompressor> factory) {
            this.compressors = factory;
            return this;
        }

        public Builder policy(CompressionPolicy policy) {
            this.policy = Objects.requireNonNull(policy);
            return this;
        }

        public Builder threads(int threads) {
            if (threads < 1 || threads > 1024) {
                throw new IllegalArgumentException("threads must be between 1 and 1024, not " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** qemu-img's {@code -S}: a multiple of 512 up to 16 MiB; 0 writes every byte (no holes). */
        public Builder sparseSize(long bytes) {
            if (bytes < 0 || bytes % 512 != 0 || bytes > MAX_SPARSE_SIZE) {
                throw new IllegalArgumentException("Invalid buffer size for sparse output specified. Valid sizes are"
                        + " multiples of 512 up to " + MAX_SPARSE_SIZE + ". Select 0 to disable sparse detection"
                        + " (fully allocates output).");
            }
            this.sparseSize = (int) bytes;
            return this;
        }

        /** With {@link #noCreate}: the existing target already reads as zeros, so zero ranges are skipped. */
        public Builder targetIsZero(boolean v) {
            this.targetIsZero = v;
            return this;
        }

        /**
         * Write into the existing target in place (qemu-img -n). With {@link #clusterTarget} the factory
         * receives the existing image's channel (read-write) and the source size, and opens it in place.
         */
        public Builder noCreate(boolean v) {
            this.noCreate = v;
            return this;
        }

        /**
         * Tests: the target has its own backing file (qemu-img -B): only the ranges the top layer of each source
         * allocates are copied, zero ranges are written as zero clusters. {@link #target} sets it.
         */
        Builder targetHasBacking(boolean v) {
            this.targetHasBacking = v;
            return this;
        }

        /**
         * Bytes per unit of work (rounded down to whole clusters, at least one). Not used for uncompressed
         * cluster targets without backing file: those follow qemu-img's own write requests (up to 2 MiB each),
         * which decide what gets allocated.
         */
        public Builder chunkSize(int bytes) {
            if (bytes < 4096 || bytes > (64 << 20)) {
                throw new IllegalArgumentException("chunk size must be between 4 KiB and 64 MiB: " + bytes);
            }
            this.chunkSize = bytes;
            return this;
        }

        /**
         * Whether the output is fsynced before it is renamed into place (default true). False is qemu-img
         * convert's default cache mode ("unsafe"): faster, not crash-safe.
         */
        public Builder durable(boolean v) {
            this.durable = v;
            return this;
        }

        /**
         * {@code --verify}: read the new target back as {@code targetFormat} and compare it with the sources
         * before it replaces the destination; a mismatch leaves the destination as it was. Ignored with
         * {@code -n} (the caller verifies in place).
         */
        public Builder verify(String targetFormat) {
            this.verifyFormat = targetFormat;
            return this;
        }

        /**
         * Called with the written target, complete and closed, before it replaces DST (a new file, under its
         * hidden name) or after it was written in place ({@code -n}); when it fails the convert fails and a new
         * file is removed. Refused for targets written to a device, to standard output or into a container.
         */
        public Builder written(Written hook) {
            this.written = hook;
            return this;
        }

        /** qemu-img convert -C: copy data runs as they are (no zero detection inside them). */
        public Builder copyOffload(boolean on) {
            this.copyOffload = on;
            return this;
        }

        /** qemu-img convert --salvage: read errors of the sources become zeros, reported through notices. */
        public Builder salvage(boolean on) {
            this.salvage = on;
            return this;
        }

        public Builder progress(ProgressListener listener) {
            this.progress = Objects.requireNonNull(listener);
            return this;
        }

        public ConvertOptions build() {
            if (compressors != null && clusterTarget == null) {
                throw new IllegalArgumentException("Compression is not supported for this target format (raw)");
            }
            if (targetHasBacking && clusterTarget == null && !noCreate) {
                throw new IllegalArgumentException("Backing file not supported for file format 'raw'");
            }
            if (targetIsZero && targetHasBacking) {
                throw new IllegalArgumentException("Cannot use --target-is-zero when the destination image has a"
                        + " backing file");
            }
            if (targetIsZero && !noCreate) {
                throw new IllegalArgumentException("--target-is-zero requires use of -n flag");
            }
            return new ConvertOptions(this);
        }
    }
}
