package org.qimg.format.qcow2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.qimg.format.ClusterSink;
import org.qimg.format.ImageException;
import org.qimg.format.ImageFormats;
import org.qimg.format.NewImage;
import org.qimg.format.TargetImage;
import org.qimg.format.TargetRequest;
import org.qimg.format.codec.ClusterCompressor;
import org.qimg.format.codec.CompressionType;
import org.qimg.format.codec.Compressors;
import org.qimg.format.io.NamedChannel;
import org.qimg.format.qcow2.layout.Qcow2Header;
import org.qimg.format.qcow2.update.Qcow2OverlayWriter;
import org.qimg.format.qcow2.update.Qcow2Updater;
import org.qimg.format.qcow2.write.Qcow2CreateOptions;
import org.qimg.format.qcow2.write.Qcow2Writer;

/** qcow2 targets: a new image ({@link Qcow2Writer}) or an existing one updated in place ({@link Qcow2Updater}). */
final class Qcow2Targets {
    private Qcow2Targets() {
    }

    static NewImage create(TargetRequest request) throws ImageException {
        Qcow2CreateOptions.Builder ob = Qcow2CreateOptions.builder(0).apply(request.optionText());
        if (request.backingFile() != null) {
            ob.backingFile(request.backingFile(), request.backingFormat() != null ? request.backingFormat()
                    : ob.backingFormat());
        }
        return new NewImage() {
            @Override
            public String backingFile() {
                return ob.backingFile();
            }

            @Override
            public String backingFormat() {
                return ob.backingFormat();
            }

            @Override
            public String given(String key) {
                return ob.given(key);
            }

            @Override
            public boolean isSet(String key) {
                return ob.isSet(key);
            }

            @Override
            public TargetImage build() throws ImageException {
                Qcow2CreateOptions parsed = ob.build();
                return new NewTarget(parsed, request.compressed());
            }
        };
    }

    static TargetImage openForUpdate(Path dst, TargetRequest request) throws IOException {
        if (!request.options().isEmpty()) {
            throw new ImageException("-o has no effect when skipping image creation");
        }
        // -B with -n (qemu-img 7.2): the target keeps its own header; only what the sources' top layers allocate
        // is copied, the rest is left to whatever the target's backing file holds
        ImageFormats.requireUpdatable(dst, "qcow2");
        Qcow2Header h;
        try (FileChannel ch = NamedChannel.open(dst, StandardOpenOption.READ)) {
            h = Qcow2Header.read(ch, dst);
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not open '" + dst + "': No such file or directory");
        }
        return new InPlaceTarget(h.clusterSize(), h.compressionType(), request.compressed(),
                request.backingFile() != null, false);
    }

    /** The image {@code dst} for the guest writes of qemu-img rebase and commit ({@link Qcow2OverlayWriter}). */
    static TargetImage openForGuestWrites(Path dst, boolean compressed) throws IOException {
        ImageFormats.requireUpdatable(dst, "qcow2");
        Qcow2Header h;
        try (FileChannel ch = NamedChannel.open(dst, StandardOpenOption.READ)) {
            h = Qcow2Header.read(ch, dst);
        } catch (NoSuchFileException e) {
            throw new ImageException("Could not open '" + dst + "': No such file or directory");
        }
        return new InPlaceTarget(h.clusterSize(), h.compressionType(), compressed, false, true);
    }

    /** What both kinds of qcow2 target share: the codec comes from the image's own options. */
    private abstract static class Base implements TargetImage {
        final int clusterSize;
        final CompressionType codec;
        final int level;
        final boolean compressed;

        Base(int clusterSize, CompressionType codec, int level, boolean compressed) {
            this.clusterSize = clusterSize;
            this.codec = codec;
            this.level = level;
            this.compressed = compressed;
        }

        @Override
        public String formatName() {
            return "qcow2";
        }

        @Override
        public int clusterSize() {
            return clusterSize;
        }

        @Override
        public boolean compressed() {
            return compressed;
        }

        @Override
        public ClusterCompressor newCompressor(Consumer<String> fallbackNotice) {
            if (!compressed) {
                throw new IllegalStateException("this qcow2 target is not compressed");
            }
            return Compressors.create(codec, level, clusterSize, fallbackNotice);
        }
    }

    private static final class NewTarget extends Base {
        private final Qcow2CreateOptions options;

        NewTarget(Qcow2CreateOptions options, boolean compressed) {
            super(options.clusterSize(), options.compressionType(), options.compressionLevel(), compressed);
            this.options = options;
        }

        @Override
        public boolean hasBacking() {
            return options.backingFile() != null;
        }

        @Override
        public ClusterSink start(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException {
            Qcow2Writer w = Qcow2DataFile.start(channel, pathForErrors, options.withVirtualSize(virtualSize));
            if (compressed) {
                w.compressedMode();
            }
            return w;
        }
    }

    private static final class InPlaceTarget extends Base {
        private final boolean topOnly;
        private final boolean overlay;

        InPlaceTarget(int clusterSize, CompressionType codec, boolean compressed, boolean topOnly,
                      boolean overlay) {
            super(clusterSize, codec, Compressors.defaultLevel(codec), compressed);
            this.topOnly = topOnly;
            this.overlay = overlay;
        }

        /** True with {@code -n -B}: qemu-img then treats the target as backed, whatever its header says. */
        @Override
        public boolean hasBacking() {
            return topOnly;
        }

        @Override
        public ClusterSink start(FileChannel channel, Path pathForErrors, long virtualSize) throws IOException {
            if (overlay) {
                return Qcow2OverlayWriter.open(channel, pathForErrors);
            }
            return Qcow2Updater.open(channel, pathForErrors, virtualSize, compressed);
        }
    }
}
